"""A real Dovecot IMAP server for the IMAP poller's tests, started in a temporary folder.

Dovecot comes from Debian's `dovecot-imapd` package, which `.ci/run` installs. Run as
root, mail is stored as the `mail` user, because Dovecot refuses to access mail as root.
"""

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from helpdesk_runtime.local_servers import free_port, wait_for_port


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    username: str
    password: str
    folder: Path


def dovecot_available() -> bool:
    return shutil.which("dovecot") is not None


def _config(folder: Path, port: int, mail_user: str, service_user: str | None) -> str:
    users = ""
    if service_user is not None:
        users = f"default_internal_user = {service_user}\ndefault_login_user = {service_user}\n"
    uid = pwd.getpwnam(mail_user).pw_uid
    return f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {uid}
mail_location = maildir:~/Maildir
{users}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={pwd.getpwnam(mail_user).pw_gid} home={folder}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@contextlib.contextmanager
def running_dovecot() -> Iterator[ImapServer]:
    """Start Dovecot on a free port with one user, `support`, and stop it afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    folder.chmod(0o755)
    port = free_port()
    is_root = os.geteuid() == 0
    mail_user = "mail" if is_root else pwd.getpwuid(os.geteuid()).pw_name
    service_user = None if is_root else mail_user

    (folder / "home").mkdir()
    shutil.chown(folder / "home", user=mail_user)
    (folder / "users").write_text("support:{PLAIN}imap-test-secret\n", encoding="utf-8")
    config = folder / "dovecot.conf"
    config.write_text(_config(folder, port, mail_user, service_user), encoding="utf-8")

    # Dovecot daemonizes and its daemon keeps the inherited output open, so capturing the
    # output would wait for ever; errors go to the log file named in the configuration.
    subprocess.run(
        ["dovecot", "-c", str(config)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield ImapServer("127.0.0.1", port, "support", "imap-test-secret", folder)
    finally:
        subprocess.run(
            ["dovecot", "-c", str(config), "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(folder, ignore_errors=True)
