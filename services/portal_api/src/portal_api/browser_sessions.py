"""Sign-in sessions: a random token in the browser's cookie, its SHA-256 in PostgreSQL."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal_api.accounts import Account
from portal_api.models import accounts, sessions
from portal_api.tokens import hash_token, new_token

SESSION_COOKIE = "portal_session"


async def start_session(session: AsyncSession, account_id: uuid.UUID, lifetime: timedelta) -> str:
    """Store a new session of the account and return the token for its cookie."""
    token = new_token()
    await session.execute(
        sessions.insert().values(
            token_hash=hash_token(token),
            account_id=account_id,
            expires_at=datetime.now(UTC) + lifetime,
        )
    )
    return token


async def signed_in_account(session: AsyncSession, token: str) -> Account | None:
    """Return the account of an unexpired session token, or None."""
    row = (
        await session.execute(
            select(accounts.c.id, accounts.c.email, accounts.c.contact_id, accounts.c.password_hash)
            .join(sessions, sessions.c.account_id == accounts.c.id)
            .where(
                sessions.c.token_hash == hash_token(token),
                sessions.c.expires_at > datetime.now(UTC),
            )
        )
    ).one_or_none()
    if row is None:
        return None
    return Account(
        id=row.id,
        email=row.email,
        contact_id=row.contact_id,
        has_password=row.password_hash is not None,
    )


async def end_session(session: AsyncSession, token: str) -> None:
    """Delete one session, as signing out does."""
    await session.execute(delete(sessions).where(sessions.c.token_hash == hash_token(token)))


async def end_all_sessions(session: AsyncSession, account_id: uuid.UUID) -> int:
    """Delete every session of the account and return how many there were."""
    result = await session.execute(delete(sessions).where(sessions.c.account_id == account_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_expired_sessions(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Delete the account's expired sessions, so the table does not grow with sign-ins."""
    await session.execute(
        delete(sessions).where(
            sessions.c.account_id == account_id, sessions.c.expires_at <= datetime.now(UTC)
        )
    )
