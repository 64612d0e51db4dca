"""The transactional outbox: events are rows written with the change, then relayed.

`add_event` inserts the event in the caller's transaction and has PostgreSQL notify
the relay when that transaction commits. `OutboxRelay` claims unpublished rows with
`FOR UPDATE SKIP LOCKED` (so replicas share the work without publishing a row twice at
the same time), publishes each with `Nats-Msg-Id` = event id, and marks it published.
A crash between publish and mark re-publishes the row later; JetStream's duplicate window
and idempotent consumers absorb that.
"""

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime

import asyncpg
from nats.js import JetStreamContext
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    func,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_contracts.messages import Message
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.messaging import (
    PublishFailedError,
    encode,
    message_headers,
    publish_durably,
)
from helpdesk_runtime.metrics import counter

log = get_logger(__name__)

published_total = counter("outbox_published_total", "Outbox events published to JetStream.")
failed_total = counter("outbox_publish_failures_total", "Outbox publishes that failed.")


def outbox_table(metadata: MetaData) -> Table:
    """Define the outbox table in the schema of `metadata`."""
    return Table(
        "outbox",
        metadata,
        Column("id", Uuid, primary_key=True),
        # Commit order within a transaction: created_at is the transaction's start time,
        # so events written together would otherwise tie and be published in any order.
        Column("position", BigInteger, Identity(always=True), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("correlation_id", String(100), nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Index(
            "ix_outbox_unpublished",
            "position",
            postgresql_where=text("published_at IS NULL"),
        ),
    )


def notify_channel(table: Table) -> str:
    """Return the LISTEN/NOTIFY channel of an outbox table."""
    return f"outbox_{table.schema or 'public'}"


async def add_event(
    session: AsyncSession,
    table: Table,
    subject: str,
    event: Message,
    correlation_id: str | None = None,
) -> None:
    """Write `event` to the outbox in the session's transaction."""
    await session.execute(
        table.insert().values(
            id=event.id,
            subject=subject,
            payload=encode(event),
            correlation_id=correlation_id,
        )
    )

    # NOTIFY is delivered only when the transaction commits, so the relay never receives
    # an event whose change was rolled back.
    channel = notify_channel(table)
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})


class OutboxRelay:
    """Publishes committed outbox rows to JetStream, woken by NOTIFY or by polling."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        js: JetStreamContext,
        listen_dsn: str,
        batch_size: int = 100,
        poll_interval: float = 1.0,
    ) -> None:
        self._sessions = sessions
        self._table = table
        self._js = js
        self._listen_dsn = listen_dsn
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._listener: asyncpg.Connection | None = None

    async def run(self) -> None:
        """Relay until cancelled."""
        await self._start_listening()
        try:
            while True:
                published = await self._relay_batch_safely()
                if published < self._batch_size:
                    await self._wait_for_work()
        finally:
            await self._stop_listening()

    async def relay_pending(self) -> int:
        """Publish every pending row now; return how many were published."""
        total = 0
        while True:
            published = await self.relay_batch()
            total += published
            if published < self._batch_size:
                return total

    async def relay_batch(self) -> int:
        """Claim, publish and mark one batch; return how many rows were published."""
        table = self._table
        async with self._sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(table.c.id, table.c.subject, table.c.payload, table.c.correlation_id)
                    .where(table.c.published_at.is_(None))
                    .order_by(table.c.position)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()

            published_ids: list[uuid.UUID] = []
            for row in rows:
                headers = message_headers(str(row.id), row.correlation_id)
                try:
                    await publish_durably(self._js, row.subject, row.payload, headers)
                except PublishFailedError as exc:
                    failed_total.inc()
                    log.warning("outbox publish failed", event_id=str(row.id), error=str(exc))
                    break
                published_ids.append(row.id)

            if published_ids:
                await session.execute(
                    update(table)
                    .where(table.c.id.in_(published_ids))
                    .values(published_at=datetime.now(UTC))
                )
        published_total.inc(len(published_ids))
        return len(published_ids)

    async def _relay_batch_safely(self) -> int:
        try:
            return await self.relay_batch()
        except Exception:
            # The database or NATS is unavailable; the rows stay and the next pass retries.
            log.exception("outbox relay pass failed", table=str(self._table))
            await asyncio.sleep(self._poll_interval)
            return 0

    async def _wait_for_work(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)
        self._wake.clear()

    async def _start_listening(self) -> None:
        try:
            self._listener = await asyncpg.connect(self._listen_dsn)
            await self._listener.add_listener(notify_channel(self._table), self._on_notify)
        except (OSError, asyncpg.PostgresError) as exc:
            # Polling still relays every row, only with up to one poll interval of delay.
            log.warning("outbox LISTEN unavailable, polling only", error=str(exc))
            self._listener = None

    async def _stop_listening(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()

    def _on_notify(self, *_: object) -> None:
        self._wake.set()
