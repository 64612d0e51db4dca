"""Rate limits counted in PostgreSQL under concurrent requests for the same key."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from helpdesk_runtime.database import create_engine, unit_of_work
from helpdesk_runtime.migrations import upgrade_to_head
from portal_api.models import SCHEMA, rate_limit_hits
from portal_api.rate_limits import Limit, is_exceeded, record_hit


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await upgrade_to_head(engine, "portal_api", SCHEMA)
    yield engine
    await engine.dispose()


async def test_concurrent_checks_never_pass_more_than_limit(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    limit = Limit("sign_in_ip", count=3, window_seconds=60)
    key = f"198.51.100.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"

    async def attempt() -> bool:
        async with unit_of_work(sessions) as session:
            if await is_exceeded(session, limit, key):
                return False
            # Widen the gap between the check and the insert that a missing lock would need.
            await asyncio.sleep(0.05)
            await record_hit(session, limit, key)
            return True

    admitted = await asyncio.gather(*(attempt() for _ in range(12)))

    assert sum(admitted) == 3
    async with sessions() as session:
        recorded = await session.scalar(
            select(func.count()).select_from(rate_limit_hits).where(rate_limit_hits.c.key == key)
        )
    assert recorded == 3
