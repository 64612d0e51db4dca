"""Portal accounts: one per email address, linked to the contact behind that address."""

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.messages import ResolveContactRequest
from helpdesk_runtime.logging import get_logger
from portal_api.models import accounts, one_time_tokens
from portal_api.passwords import hash_password
from portal_api.service_requests import ServiceRequests
from portal_api.tokens import hash_token, new_token

log = get_logger(__name__)

# Deliberately loose: one @, no spaces, a dot in the domain. Delivery decides the rest.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL_LENGTH = 320

SIGN_IN_LINK = "sign_in_link"
PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose name, not a password)


@dataclass(frozen=True)
class Account:
    """A portal account as the pages need it."""

    id: uuid.UUID
    email: str
    contact_id: uuid.UUID
    has_password: bool


def normalise_email(raw: str) -> str | None:
    """Return the address lower-cased and trimmed, or None when it is not an address."""
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        return None
    return email


async def find_account(session: AsyncSession, email: str) -> tuple[Account, str | None] | None:
    """Return the account of `email` with its password hash, or None."""
    row = (await session.execute(select(accounts).where(accounts.c.email == email))).one_or_none()
    if row is None:
        return None
    account = Account(
        id=row.id,
        email=row.email,
        contact_id=row.contact_id,
        has_password=row.password_hash is not None,
    )
    return account, row.password_hash


async def find_or_create_account(
    session: AsyncSession, requests: ServiceRequests, email: str
) -> Account:
    """Return the account of `email`, creating it for the contact customer_service resolves."""
    found = await find_account(session, email)
    if found is not None:
        return found[0]

    resolved = await requests.resolve_contact(ResolveContactRequest(address=email))

    # Two first sign-ins at once both insert; the loser's row is dropped and it reads the
    # winner's, so an address never gets two accounts.
    await session.execute(
        insert(accounts)
        .values(id=uuid.uuid4(), email=email, contact_id=resolved.contact_id)
        .on_conflict_do_nothing(index_elements=[accounts.c.email])
    )
    created = await find_account(session, email)
    if created is None:
        raise RuntimeError(f"account of {email} missing right after its insert")
    log.info(
        "portal account created", account_id=str(created[0].id), contact_id=str(resolved.contact_id)
    )
    return created[0]


async def set_password(session: AsyncSession, account_id: uuid.UUID, password: str) -> None:
    """Store a new argon2 hash of `password` for the account."""
    await session.execute(
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(password_hash=hash_password(password), password_changed_at=datetime.now(UTC))
    )


async def replace_password_hash(
    session: AsyncSession, account_id: uuid.UUID, password_hash: str
) -> None:
    """Store an already computed hash, such as one upgraded to stronger parameters."""
    await session.execute(
        update(accounts).where(accounts.c.id == account_id).values(password_hash=password_hash)
    )


async def issue_one_time_token(
    session: AsyncSession, purpose: str, email: str, lifetime: timedelta
) -> str:
    """Store the digest of a new single-use token for `email` and return the token."""
    token = new_token()
    await session.execute(
        one_time_tokens.insert().values(
            token_hash=hash_token(token),
            purpose=purpose,
            email=email,
            expires_at=datetime.now(UTC) + lifetime,
        )
    )
    return token


async def consume_one_time_token(session: AsyncSession, purpose: str, token: str) -> str | None:
    """Mark the token used and return its address, or None if unknown, used or expired.

    One UPDATE both checks and marks, so two requests with the same link cannot both
    succeed.
    """
    now = datetime.now(UTC)
    email: str | None = await session.scalar(
        update(one_time_tokens)
        .where(
            one_time_tokens.c.token_hash == hash_token(token),
            one_time_tokens.c.purpose == purpose,
            one_time_tokens.c.used_at.is_(None),
            one_time_tokens.c.expires_at > now,
        )
        .values(used_at=now)
        .returning(one_time_tokens.c.email)
    )
    return email


async def one_time_token_is_usable(session: AsyncSession, purpose: str, token: str) -> bool:
    """Return whether the token could be consumed now, without consuming it."""
    found = await session.scalar(
        select(one_time_tokens.c.email).where(
            one_time_tokens.c.token_hash == hash_token(token),
            one_time_tokens.c.purpose == purpose,
            one_time_tokens.c.used_at.is_(None),
            one_time_tokens.c.expires_at > datetime.now(UTC),
        )
    )
    return found is not None
