"""Periodic deletion of rows that can no longer matter: old rate-limit hits, expired
sessions and one-time tokens.

Deleting when a key is hit again (see `rate_limits`) never reaches an address or IP that
does not come back, so this job sweeps the tables. Every replica runs it; the deletes
are idempotent, so running them twice at once costs only time.
"""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.logging import get_logger
from portal_api.models import one_time_tokens, rate_limit_hits, sessions
from portal_api.settings import PortalSettings

log = get_logger(__name__)

SWEEP_INTERVAL_SECONDS = 600.0


async def sweep_once(
    database: async_sessionmaker[AsyncSession], settings: PortalSettings
) -> dict[str, int]:
    """Delete the stale rows once and return how many each table lost."""
    now = datetime.now(UTC)
    longest_window = timedelta(
        seconds=max(settings.sign_in_window_seconds, settings.web_form_window_seconds)
    )
    async with unit_of_work(database) as session:
        hits = await session.execute(
            delete(rate_limit_hits).where(rate_limit_hits.c.hit_at <= now - longest_window)
        )
        expired_sessions = await session.execute(
            delete(sessions).where(sessions.c.expires_at <= now)
        )
        tokens = await session.execute(
            delete(one_time_tokens).where(one_time_tokens.c.expires_at <= now)
        )
    return {
        "rate_limit_hits": int(hits.rowcount or 0),  # type: ignore[attr-defined]
        "sessions": int(expired_sessions.rowcount or 0),  # type: ignore[attr-defined]
        "one_time_tokens": int(tokens.rowcount or 0),  # type: ignore[attr-defined]
    }


async def sweep_forever(
    database: async_sessionmaker[AsyncSession], settings: PortalSettings
) -> None:
    """Sweep every `SWEEP_INTERVAL_SECONDS` until cancelled."""
    while True:
        deleted = await sweep_once(database, settings)
        if any(deleted.values()):
            log.info("stale portal rows deleted", **deleted)
        await asyncio.sleep(SWEEP_INTERVAL_SECONDS)
