"""Validating and inserting one CSV row of a customer or contact import.

Customer columns: `name` (required), `tier` (default Standard, must be a managed tier),
`domains`, `owner`, `notes`, `include_subdomains` (true/false).
Contact columns: `name`, `emails` (required), `phones`, `customer_id`,
`sees_all_customer_tickets` (true/false).
List columns separate their values with `;`. Unknown columns are rejected with the header.
"""

import re
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from customer_service.domains import normalize_address
from customer_service.models import Contact, ContactEmail, Customer, CustomerDomain, Tier

CUSTOMER_COLUMNS = frozenset({"name", "tier", "domains", "owner", "notes", "include_subdomains"})
CONTACT_COLUMNS = frozenset(
    {"name", "emails", "phones", "customer_id", "sees_all_customer_tickets"}
)

_DOMAIN = re.compile(r"^[a-z0-9.-]+\.[a-z]{2,}$")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0", ""}


class RowRejectedError(ValueError):
    """A row that cannot be imported, with the reason shown in the report as message."""


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _flag(row: dict[str, str], column: str) -> bool:
    value = (row.get(column) or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise RowRejectedError(f"{column} must be true or false, not {value!r}")


def _text(row: dict[str, str], column: str, max_length: int) -> str:
    value = (row.get(column) or "").strip()
    if len(value) > max_length:
        raise RowRejectedError(f"{column} is longer than {max_length} characters")
    return value


async def managed_tiers(session: AsyncSession) -> frozenset[str]:
    """Return the tier names customers may be given."""
    return frozenset((await session.execute(select(Tier.name))).scalars())


async def insert_customer(
    session: AsyncSession, row: dict[str, str], tiers: frozenset[str]
) -> None:
    """Validate and insert one customer row in a savepoint, or raise `RowRejectedError`."""
    name = _text(row, "name", 300)
    if not name:
        raise RowRejectedError("name is missing")
    tier = (row.get("tier") or "").strip() or "Standard"
    if tier not in tiers:
        raise RowRejectedError(f"tier {tier!r} is not one of {sorted(tiers)}")
    domains = sorted({d.lower() for d in _split(row.get("domains"))})
    for domain in domains:
        if not _DOMAIN.match(domain):
            raise RowRejectedError(f"domain {domain!r} is invalid")

    taken = await session.scalar(
        select(CustomerDomain.domain).where(CustomerDomain.domain.in_(domains)).limit(1)
    )
    if taken is not None:
        raise RowRejectedError(f"domain {taken!r} already belongs to a customer")

    customer = Customer(
        id=uuid.uuid4(),
        name=name,
        tier=tier,
        owner=_text(row, "owner", 200) or None,
        notes=_text(row, "notes", 10_000),
        attributes={},
        include_subdomains=_flag(row, "include_subdomains"),
    )
    customer.domains = [CustomerDomain(domain=d) for d in domains]
    try:
        async with session.begin_nested():
            session.add(customer)
            await session.flush()
    except IntegrityError as exc:
        raise RowRejectedError(f"a domain of {domains} already belongs to a customer") from exc


async def insert_contact(session: AsyncSession, row: dict[str, str]) -> None:
    """Validate and insert one contact row in a savepoint, or raise `RowRejectedError`."""
    addresses = sorted({normalize_address(a) for a in _split(row.get("emails"))})
    if not addresses:
        raise RowRejectedError("emails is missing")
    for address in addresses:
        if not _ADDRESS.match(address) or len(address) > 320:
            raise RowRejectedError(f"address {address!r} is invalid")

    customer_id = None
    raw_customer = (row.get("customer_id") or "").strip()
    if raw_customer:
        try:
            customer_id = uuid.UUID(raw_customer)
        except ValueError as exc:
            raise RowRejectedError(f"customer_id {raw_customer!r} is not a UUID") from exc
        if await session.get(Customer, customer_id) is None:
            raise RowRejectedError(f"no customer with id {customer_id}")

    # Checked first because the session may already hold an earlier row's address, and
    # a clash inside one session is only a warning until the flush fails.
    taken = await session.scalar(
        select(ContactEmail.address).where(ContactEmail.address.in_(addresses)).limit(1)
    )
    if taken is not None:
        raise RowRejectedError(f"address {taken!r} already belongs to a contact")

    contact = Contact(
        id=uuid.uuid4(),
        name=_text(row, "name", 300),
        customer_id=customer_id,
        phones=_split(row.get("phones")),
        sees_all_customer_tickets=_flag(row, "sees_all_customer_tickets"),
    )
    contact.emails = [ContactEmail(address=a) for a in addresses]
    try:
        async with session.begin_nested():
            session.add(contact)
            await session.flush()
    except IntegrityError as exc:
        raise RowRejectedError(f"an address of {addresses} already belongs to a contact") from exc
