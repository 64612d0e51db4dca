"""The sweep of stale rate-limit hits, sessions and one-time tokens."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from helpdesk_runtime.database import create_engine, create_session_factory, unit_of_work
from helpdesk_runtime.migrations import upgrade_to_head
from helpdesk_runtime.settings import load_settings
from portal_api.housekeeping import sweep_once
from portal_api.models import SCHEMA, accounts, one_time_tokens, rate_limit_hits, sessions
from portal_api.settings import PortalSettings


async def test_sweep_deletes_only_stale_rows(database_url: str) -> None:
    settings = load_settings(PortalSettings, environ={}, database_url=database_url)
    engine = create_engine(database_url, pool_size=1)
    await upgrade_to_head(engine, "portal_api", SCHEMA)
    database = create_session_factory(engine)
    now = datetime.now(UTC)
    marker = uuid.uuid4().hex
    account_id = uuid.uuid4()
    async with unit_of_work(database) as session:
        await session.execute(
            accounts.insert().values(
                id=account_id, email=f"{marker}@sweep.test", contact_id=uuid.uuid4()
            )
        )
        for age_days, key in ((2, f"old-{marker}"), (0, f"new-{marker}")):
            await session.execute(
                rate_limit_hits.insert().values(
                    id=uuid.uuid4(),
                    bucket="sign_in_ip",
                    key=key,
                    hit_at=now - timedelta(days=age_days),
                )
            )
        for offset, name in ((-1, "expired"), (1, "live")):
            token_hash = hashlib.sha256(f"{name}-{marker}".encode()).hexdigest()
            await session.execute(
                sessions.insert().values(
                    token_hash=token_hash,
                    account_id=account_id,
                    expires_at=now + timedelta(hours=offset),
                )
            )
            await session.execute(
                one_time_tokens.insert().values(
                    token_hash=token_hash,
                    purpose="sign_in_link",
                    email=f"{marker}@sweep.test",
                    expires_at=now + timedelta(hours=offset),
                )
            )

    deleted = await sweep_once(database, settings)

    async with database() as session:
        hit_keys = set(
            await session.scalars(
                select(rate_limit_hits.c.key).where(rate_limit_hits.c.key.contains(marker))
            )
        )
        session_count = await session.scalar(
            select(func.count()).select_from(sessions).where(sessions.c.account_id == account_id)
        )
        token_count = await session.scalar(
            select(func.count())
            .select_from(one_time_tokens)
            .where(one_time_tokens.c.email == f"{marker}@sweep.test")
        )
    await engine.dispose()
    assert hit_keys == {f"new-{marker}"}
    assert session_count == 1
    assert token_count == 1
    assert deleted["rate_limit_hits"] >= 1
    assert deleted["sessions"] >= 1
    assert deleted["one_time_tokens"] >= 1
