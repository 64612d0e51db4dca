"""API keys of agents: issue, check, list and revoke.

A key reads `hdk_<key id>_<secret>`. The key id is public and finds the row. The secret
is 32 random bytes, shown once when the key is created and stored only as its SHA-256
digest. A plain fast hash is sound here because the secret carries 256 bits of entropy:
unlike a password it cannot be guessed from a list, so a slow, salted hash would add
nothing but latency to every request.
"""

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_runtime.logging import get_logger
from ticket_service.errors import ApiKeyNotFoundError
from ticket_service.models import Agent, ApiKey

log = get_logger(__name__)

KEY_PREFIX = "hdk"
SECRET_BYTES = 32

# `last_used_at` is written at most this often per key, so a busy client does not turn
# every read into a row update.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedKey:
    """A new key: the stored record and the full key text, which is never stored."""

    record: ApiKey
    key: str


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _new_secret() -> str:
    # URL-safe base64 without padding; it may contain `_`, so parsing splits twice only.
    return base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def parse_key(text: str) -> tuple[str, str] | None:
    """Return the key id and secret of a key text, or None when it is not a key."""
    prefix, _, rest = text.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or not key_id or not secret:
        return None
    return key_id, secret


async def issue_key(session: AsyncSession, agent: Agent, label: str, now: datetime) -> IssuedKey:
    """Create a key for the agent and return it with its text, to be shown once."""
    key_id = secrets.token_hex(8)
    secret = _new_secret()
    record = ApiKey(
        key_id=key_id,
        agent_id=agent.id,
        secret_sha256=_digest(secret),
        label=label,
        created_at=now,
        last_used_at=None,
        revoked_at=None,
    )
    session.add(record)
    await session.flush()
    log.info("api key created", key_id=key_id, agent_id=str(agent.id), handle=agent.handle)
    return IssuedKey(record=record, key=f"{KEY_PREFIX}_{key_id}_{secret}")


async def agent_of_key(session: AsyncSession, text: str, now: datetime) -> Agent | None:
    """Return the active agent the key belongs to, or None for any key that does not work.

    Unknown, malformed and revoked keys and inactive agents all give None, so the caller
    rejects them alike. The secret is compared in constant time.
    """
    parsed = parse_key(text)
    if parsed is None:
        return None
    key_id, secret = parsed

    row = (
        await session.execute(
            select(ApiKey, Agent)
            .join(Agent, Agent.id == ApiKey.agent_id)
            .where(ApiKey.key_id == key_id)
        )
    ).one_or_none()
    if row is None:
        return None
    key, agent = row
    if not hmac.compare_digest(key.secret_sha256, _digest(secret)):
        return None
    if key.revoked_at is not None or not agent.active:
        return None

    await _note_use(session, key, now)
    return agent


async def _note_use(session: AsyncSession, key: ApiKey, now: datetime) -> None:
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    # The condition repeats in SQL so that concurrent requests write the stamp once.
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.key_id == key.key_id,
            or_(
                ApiKey.last_used_at.is_(None),
                ApiKey.last_used_at < now - LAST_USED_RESOLUTION,
            ),
        )
        .values(last_used_at=now)
    )


async def keys_of(session: AsyncSession, agent_id: uuid.UUID) -> list[ApiKey]:
    """Return the agent's keys, revoked ones included, oldest first."""
    return list(
        await session.scalars(
            select(ApiKey).where(ApiKey.agent_id == agent_id).order_by(ApiKey.created_at)
        )
    )


async def revoke_key(
    session: AsyncSession, key_id: str, now: datetime, owner: uuid.UUID | None = None
) -> ApiKey:
    """Revoke the key; with `owner`, only a key of that agent. Revoking twice keeps the time.

    A key of another agent raises `ApiKeyNotFoundError` as an unknown one does, so an
    agent cannot learn which key ids exist.
    """
    key = await session.get(ApiKey, key_id, with_for_update=True)
    if key is None or (owner is not None and key.agent_id != owner):
        raise ApiKeyNotFoundError(key_id)
    if key.revoked_at is None:
        key.revoked_at = now
        await session.flush()
        log.info("api key revoked", key_id=key_id, agent_id=str(key.agent_id))
    return key
