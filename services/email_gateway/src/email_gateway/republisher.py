"""Publishing raw messages that were stored but never published.

A message is stored before its event is published. If the process dies in between, or
JetStream did not acknowledge the publish and the client never retried, the row stays
`received`. This background job publishes such rows once they are older than
`republish_after_seconds`, which is long enough for the SMTP path to finish with them.

One replica runs a pass at a time, holding a PostgreSQL advisory lock, because the
pipeline updates each row in transactions of its own and cannot keep a row lock.
"""

import asyncio
import zlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from email_gateway.inbound import InboundPipeline
from email_gateway.raw_store import unpublished_before
from email_gateway.settings import GatewaySettings
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.messaging import PublishFailedError
from helpdesk_runtime.metrics import counter
from helpdesk_runtime.service import ServiceRuntime

log = get_logger(__name__)

republished_total = counter(
    "email_inbound_republished_total", "Stored raw messages published by the republisher."
)

BATCH_SIZE = 100
_LOCK_KEY = zlib.crc32(b"email_gateway:republisher") & 0x7FFFFFFF


class Republisher:
    """Finds raw messages left in the `received` state and runs them through the pipeline."""

    def __init__(
        self, runtime: ServiceRuntime, pipeline: InboundPipeline, settings: GatewaySettings
    ) -> None:
        self._runtime = runtime
        self._pipeline = pipeline
        self._after = timedelta(seconds=settings.republish_after_seconds)
        self._interval = settings.republish_interval_seconds

    async def run(self) -> None:
        """Republish on every interval until cancelled."""
        while True:
            await self.republish_pending()
            await asyncio.sleep(self._interval)

    async def republish_pending(self) -> int:
        """Run one pass if no other replica is running one; return how many were handled."""
        async with self._runtime.engine.connect() as lock_connection:
            acquired = await lock_connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": _LOCK_KEY}
            )
            await lock_connection.commit()
            if not acquired:
                return 0

            try:
                return await self._republish_batch()
            finally:
                await lock_connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY}
                )
                await lock_connection.commit()

    async def _republish_batch(self) -> int:
        cutoff = datetime.now(UTC) - self._after
        async with self._runtime.sessions() as session:
            rows = await unpublished_before(session, cutoff, BATCH_SIZE)

        handled = 0
        for stored in rows:
            log.info(
                "republishing stored message",
                raw_message_id=str(stored.id),
                received_at=stored.received_at.isoformat(),
            )
            try:
                await self._pipeline.process(stored)
            except PublishFailedError:
                # JetStream is unavailable: the remaining rows wait for the next pass.
                log.warning("republishing paused, JetStream did not acknowledge")
                break
            except Exception:
                log.exception("republishing failed", raw_message_id=str(stored.id))
                continue
            handled += 1

        republished_total.inc(handled)
        return handled
