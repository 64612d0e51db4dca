"""The whole help desk on one machine: start in order, watch the children, stop in reverse.

Start-up: NATS, PostgreSQL and the `helpdesk` database, the mail sink, every service
(each runs its own migrations), readiness, demo data, banner. Shutdown, on a signal or
when a child exits on its own: services, then the mail sink, then the servers the
runner started itself.
"""

import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Mapping
from typing import TypeVar

import httpx

from deploy.local_runner.banner import RunningStack, banner_text
from deploy.local_runner.broker import provide_nats
from deploy.local_runner.children import (
    ChildProcess,
    describe_exit,
    describe_tail,
    wait_for_first_exit,
)
from deploy.local_runner.config import LOCALHOST, MAIL_SINK_MODULE, RunnerConfig
from deploy.local_runner.database import ensure_database, provide_postgres
from deploy.local_runner.environment import child_base_environment, service_environment
from deploy.local_runner.output import say
from deploy.local_runner.ports import ensure_ports_free
from deploy.local_runner.preflight import (
    module_available,
    required_ports,
    split_available_services,
)
from deploy.local_runner.readiness import NotReadyError, wait_for_http_ready, wait_for_tcp
from deploy.local_runner.seeding import SeedError, seed_customers
from deploy.local_runner.servers import ProvidedServer, StartupError

T = TypeVar("T")

# The mail sink and the SMTP listener open their ports within a few seconds when healthy.
TCP_READY_TIMEOUT = 20.0
# Ctrl-C under `make run` reached the runner twice: from the terminal and forwarded by uv.
# A repeat within this many seconds is that echo, not a second request.
REPEATED_SIGNAL_WINDOW = 1.0


class StopRequestedError(Exception):
    """Raised inside start-up when a signal requests a stop."""


class LocalStack:
    """One run of the help desk, with the processes and servers it started."""

    def __init__(self, config: RunnerConfig, environ: Mapping[str, str]) -> None:
        self.config = config
        self.environ = environ
        self.stop_requested = asyncio.Event()
        self.services: list[ChildProcess] = []
        self.mail_sink: ChildProcess | None = None
        self.missing: list[str] = []
        self.servers: list[ProvidedServer] = []
        self._first_signal_at: float | None = None

    async def run(self) -> int:
        """Start everything, wait for a signal or an unexpected exit, stop; return the exit code."""
        self._install_signal_handlers()
        try:
            running = await self._start()
            print(banner_text(running), flush=True)
            return await self._watch()
        except StopRequestedError:
            return 0
        except (StartupError, NotReadyError, SeedError, httpx.HTTPError) as exc:
            say(f"start-up failed: {exc}")
            return 1
        finally:
            await self._shutdown()

    async def _start(self) -> RunningStack:
        available, self.missing = split_available_services()
        ensure_ports_free(required_ports(self.config, available))
        self.config.data_dir.mkdir(parents=True, exist_ok=True)

        nats = await provide_nats(self.config.nats_url, self.config.data_dir / "nats", self.environ)
        self.servers.append(nats)
        self._raise_if_stopping()
        postgres = await provide_postgres(
            self.config.database_url, self.config.data_dir / "postgres"
        )
        self.servers.append(postgres)
        self._raise_if_stopping()
        database_url = await ensure_database(postgres.url)
        say(f"NATS: {nats.url} ({nats.description})")
        say(f"PostgreSQL: {database_url} ({postgres.description})")

        await self._start_mail_sink()
        await self._start_services(available, nats.url, database_url)
        await self._step(self._wait_until_ready())
        await self._step(self._seed())
        demo_key = await self._step(self._demo_agent_key(database_url))

        return RunningStack(
            config=self.config,
            started_services=[child.name for child in self.services],
            missing_services=self.missing,
            nats=f"{nats.url} ({nats.description})",
            database=f"{database_url} ({postgres.description})",
            mail_sink_running=self.mail_sink is not None,
            agent_key=demo_key,
        )

    async def _start_mail_sink(self) -> None:
        if not self.config.start_mail_sink:
            say(f"outbound mail goes to {self.config.relay_host}:{self.config.relay_port}")
            return
        if not module_available(MAIL_SINK_MODULE):
            say(f"the mail sink {MAIL_SINK_MODULE} is missing, so sending outbound mail fails")
            return

        argv = [
            sys.executable,
            "-m",
            MAIL_SINK_MODULE,
            "--port",
            str(self.config.relay_port),
            "--dir",
            str(self.config.outbox_dir),
        ]
        sink = ChildProcess("mail_sink", argv, child_base_environment(self.environ))
        await sink.start()
        self.mail_sink = sink
        await self._step(
            self._ready_or_explain(
                sink,
                wait_for_tcp(
                    LOCALHOST,
                    self.config.relay_port,
                    timeout=TCP_READY_TIMEOUT,
                    is_running=sink.is_running,
                ),
            )
        )

    async def _start_services(self, packages: list[str], nats_url: str, database_url: str) -> None:
        for package in packages:
            env = service_environment(
                package,
                self.config,
                nats_url=nats_url,
                database_url=database_url,
                environ=self.environ,
            )
            child = ChildProcess(package, [sys.executable, "-m", package, "serve"], env)
            await child.start()
            self.services.append(child)
            say(f"started {package} (pid {child.pid}, port {self.config.service_ports[package]})")

    async def _wait_until_ready(self) -> None:
        waits = [asyncio.create_task(self._service_ready(child)) for child in self.services]
        if not waits:
            return
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            for task in waits:
                task.cancel()

    async def _service_ready(self, child: ChildProcess) -> None:
        port = self.config.service_ports[child.name]
        await self._ready_or_explain(
            child,
            wait_for_http_ready(
                f"http://{LOCALHOST}:{port}",
                timeout=self.config.ready_timeout,
                is_running=child.is_running,
            ),
        )
        if child.name == "email_gateway":
            await self._ready_or_explain(
                child,
                wait_for_tcp(
                    LOCALHOST,
                    self.config.smtp_port,
                    timeout=TCP_READY_TIMEOUT,
                    is_running=child.is_running,
                ),
            )
        say(f"{child.name} is ready")

    async def _ready_or_explain(self, child: ChildProcess, waiting: Awaitable[None]) -> None:
        try:
            await waiting
        except NotReadyError as exc:
            status = describe_exit(child.returncode)
            raise StartupError(
                f"{child.name} did not become ready ({status}): {exc}\n{describe_tail(child)}"
            ) from exc

    async def _seed(self) -> None:
        if not self.config.seed_demo:
            return
        if "customer_service" not in [child.name for child in self.services]:
            say("customer_service is not running, so no demo customers are created")
            return
        port = self.config.service_ports["customer_service"]
        report = await seed_customers(f"http://{LOCALHOST}:{port}")
        if report.created:
            say(f"created demo customers: {', '.join(report.created)}")
        if report.skipped:
            say(f"demo customers already present: {', '.join(report.skipped)}")

    async def _demo_agent_key(self, database_url: str) -> str | None:
        if "ticket_service" not in [child.name for child in self.services]:
            return None
        # Imported here: a checkout without ticket_service still starts the other services.
        from deploy.local_runner.demo_agent import demo_admin_key

        demo = await demo_admin_key(database_url)
        if demo.created_agent:
            say(f"created the demo admin agent {demo.handle}")
        return demo.key

    async def _watch(self) -> int:
        children = [*self.services, *([self.mail_sink] if self.mail_sink else [])]
        children += [server.process for server in self.servers if server.process is not None]
        exited = await wait_for_first_exit(children, self.stop_requested)
        if exited is None:
            return 0
        say(
            f"{exited.name} exited unexpectedly ({describe_exit(exited.returncode)}); "
            f"stopping everything\n{describe_tail(exited)}"
        )
        return 1

    async def _shutdown(self) -> None:
        if self.services:
            say("stopping services")
            codes = await asyncio.gather(*(child.stop() for child in self.services))
            for child, code in zip(self.services, codes, strict=True):
                say(f"{child.name} stopped ({describe_exit(code)})")
        if self.mail_sink is not None:
            await self.mail_sink.stop()
            say(f"mail_sink stopped ({describe_exit(self.mail_sink.returncode)})")
        for server in reversed(self.servers):
            if server.stop is not None:
                await server.stop()
                say(f"stopped {server.description}")
        self.services.clear()
        self.mail_sink = None
        self.servers.clear()

    async def _step(self, awaitable: Awaitable[T]) -> T:
        """Await `awaitable` unless a stop is requested first, which cancels it."""
        work = asyncio.ensure_future(awaitable)
        stop = asyncio.create_task(self.stop_requested.wait())
        try:
            await asyncio.wait([work, stop], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if work.done():
            return work.result()
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
        raise StopRequestedError

    def _raise_if_stopping(self) -> None:
        if self.stop_requested.is_set():
            raise StopRequestedError

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, self._on_signal, signum)

    def _on_signal(self, signum: int) -> None:
        now = asyncio.get_running_loop().time()
        name = signal.Signals(signum).name
        if self._first_signal_at is None:
            self._first_signal_at = now
            say(f"received {name}; stopping everything")
            self.stop_requested.set()
        elif now - self._first_signal_at > REPEATED_SIGNAL_WINDOW:
            say(f"received {name} again; still stopping")
