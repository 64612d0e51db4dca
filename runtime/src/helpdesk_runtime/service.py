"""The life of one service process: connections, migrations, subscribers, relay, HTTP.

A service builds a `ServiceRuntime`, registers its subscribers on `runtime.broker`, and
hands `runtime.lifespan` to its Litestar app. Start-up order: migrations, NATS and the
JetStream streams, the broker's subscribers, then the outbox relay. Shutdown reverses it.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from faststream.nats import NatsBroker
from litestar import Litestar
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from helpdesk_runtime.database import create_engine, create_session_factory
from helpdesk_runtime.logging import filter_faststream_handlers, get_logger
from helpdesk_runtime.messaging import connect_nats, ensure_streams
from helpdesk_runtime.migrations import upgrade_to_head
from helpdesk_runtime.outbox import OutboxRelay
from helpdesk_runtime.settings import BaseSettings

log = get_logger(__name__)

BackgroundJob = Callable[[], Awaitable[None]]
StartupHook = Callable[[NatsClient], Awaitable[None]]

# Maximum wait for each shutdown step; the test harness allows 30 s for a whole shutdown.
STOP_STEP_SECONDS = 5.0


class ServiceRuntime:
    """Connections and background work shared by a service's entry points."""

    def __init__(
        self,
        name: str,
        settings: BaseSettings,
        *,
        package: str,
        schema: str,
        outbox: Table | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self.package = package
        self.schema = schema
        self.outbox = outbox
        self.engine: AsyncEngine = create_engine(settings.database_url)
        self.sessions: async_sessionmaker[AsyncSession] = create_session_factory(self.engine)
        self.broker = NatsBroker(
            settings.nats_url,
            name=name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            # FastStream logs "Received" and "Processed" for every message; the consumers
            # here log what they do with the ids involved, so those lines are debug noise.
            log_level=logging.DEBUG,
            # A logger of our own makes FastStream's lines go through the service's log
            # handler and format, instead of a handler FastStream adds on stdout.
            logger=logging.getLogger("faststream.broker"),
        )
        self._nats: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._jobs: list[tuple[str, BackgroundJob]] = []
        self._startup_hooks: list[StartupHook] = []
        self.relay: OutboxRelay | None = None

    @property
    def js(self) -> JetStreamContext:
        """The JetStream context for durable publishing; available once started."""
        if self._js is None:
            raise RuntimeError(f"{self.name} is not started: JetStream is not connected yet")
        return self._js

    @property
    def nats(self) -> NatsClient:
        """The core NATS connection; available once started."""
        if self._nats is None:
            raise RuntimeError(f"{self.name} is not started: NATS is not connected yet")
        return self._nats

    def add_startup_hook(self, hook: StartupHook) -> None:
        """Run `hook` with the NATS connection once connected, before subscribers start."""
        self._startup_hooks.append(hook)

    def add_background_job(self, name: str, job: BackgroundJob) -> None:
        """Run `job` as a task from start-up until shutdown."""
        self._jobs.append((name, job))

    async def start(self) -> None:
        """Migrate, connect, declare streams, start subscribers, relay and jobs."""
        if self.settings.run_migrations:
            await upgrade_to_head(self.engine, self.package, self.schema)

        self._nats = await connect_nats(self.settings.nats_url, f"{self.name}-publisher")
        self._js = self._nats.jetstream()
        await ensure_streams(self._js)
        for hook in self._startup_hooks:
            await hook(self._nats)
        await self.broker.start()
        filter_faststream_handlers()

        if self.outbox is not None:
            listen_dsn = self.engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False
            )
            self.relay = OutboxRelay(self.sessions, self.outbox, self._js, listen_dsn)
            self._spawn("outbox-relay", self.relay.run)
        for name, job in self._jobs:
            self._spawn(name, job)

        log.info("service started", service=self.name)

    async def stop(self) -> None:
        """Stop background work, subscribers and connections.

        Each step has a time limit, so a handler stuck on a lock or a NATS server that no
        longer responds cannot hold up shutdown; what is left is logged and abandoned.
        """
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=STOP_STEP_SECONDS)
            if pending:
                log.warning("background jobs did not stop in time", jobs=len(pending))
        self._tasks.clear()

        await self._bounded("broker stop", self.broker.stop())
        if self._nats is not None:
            drained = await self._bounded("nats drain", self._nats.drain())
            if not drained:
                await self._bounded("nats close", self._nats.close())
        await self._bounded("engine dispose", self.engine.dispose())
        log.info("service stopped", service=self.name)

    async def _bounded(self, step: str, work: Awaitable[None]) -> bool:
        # NATS may already be gone (stopped first, or unreachable); shutdown goes on.
        try:
            await asyncio.wait_for(work, timeout=STOP_STEP_SECONDS)
        except Exception as exc:
            log.warning("shutdown step failed", service=self.name, step=step, error=repr(exc))
            return False
        return True

    async def check_ready(self) -> dict[str, str]:
        """Return the state of the PostgreSQL and NATS connections, "ok" when usable."""
        checks = {"database": "ok", "nats": "ok"}
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            checks["database"] = f"unavailable: {exc.__class__.__name__}"
        if self._nats is None or not self._nats.is_connected:
            checks["nats"] = "unavailable: not connected"
        return checks

    @asynccontextmanager
    async def lifespan(self, _app: Litestar) -> AsyncIterator[None]:
        """Litestar lifespan hook running the service around the HTTP server."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    def _spawn(self, name: str, job: BackgroundJob) -> None:
        async def supervised() -> None:
            # A crashed job is restarted after a pause instead of silently stopping work.
            while True:
                try:
                    await job()
                    return
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("background job failed, restarting", job=name)
                    await asyncio.sleep(1.0)

        self._tasks.append(asyncio.create_task(supervised(), name=f"{self.name}:{name}"))


def serve_http(app: Litestar, settings: BaseSettings, **server_options: Any) -> None:
    """Run `app` under uvicorn until interrupted."""
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        **server_options,
    )
    uvicorn.Server(config).run()
