"""Sliding-window rate limits counted in PostgreSQL, so every replica counts the same hits.

A hit is one row; a check counts the rows of a key inside the window. Rows older than
the window are deleted when the same key is hit again, so the table keeps only recent
hits of active keys.

A check takes a transaction-scoped advisory lock on its bucket and key, so concurrent
requests for the same key (on any replica) check and record one after another and
together never pass more than the limit. The callers in `sign_in` check the IP bucket
before the address bucket, so two transactions cannot deadlock on these locks.
"""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal_api.models import rate_limit_hits


class Limit:
    """At most `count` hits per key within `window_seconds` in one bucket."""

    def __init__(self, bucket: str, count: int, window_seconds: float) -> None:
        self.bucket = bucket
        self.count = count
        self.window = timedelta(seconds=window_seconds)


async def is_exceeded(session: AsyncSession, limit: Limit, key: str) -> bool:
    """Lock `key` until the transaction ends and return whether it used up its hits.

    The lock makes the check and a following `record_hit` in the same transaction one
    step for every other transaction that checks the same key.
    """
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"{limit.bucket}:{key}", 0)))
    )

    since = datetime.now(UTC) - limit.window
    hits = await session.scalar(
        select(func.count())
        .select_from(rate_limit_hits)
        .where(
            rate_limit_hits.c.bucket == limit.bucket,
            rate_limit_hits.c.key == key,
            rate_limit_hits.c.hit_at > since,
        )
    )
    return (hits or 0) >= limit.count


async def record_hit(session: AsyncSession, limit: Limit, key: str) -> None:
    """Count one hit for `key` and forget its hits that left the window."""
    now = datetime.now(UTC)
    await session.execute(
        delete(rate_limit_hits).where(
            rate_limit_hits.c.bucket == limit.bucket,
            rate_limit_hits.c.key == key,
            rate_limit_hits.c.hit_at <= now - limit.window,
        )
    )
    await session.execute(
        rate_limit_hits.insert().values(id=uuid.uuid4(), bucket=limit.bucket, key=key, hit_at=now)
    )


async def clear_hits(session: AsyncSession, limit: Limit, key: str) -> None:
    """Forget the hits of `key`, such as an address's failures after a successful sign-in."""
    await session.execute(
        delete(rate_limit_hits).where(
            rate_limit_hits.c.bucket == limit.bucket, rate_limit_hits.c.key == key
        )
    )
