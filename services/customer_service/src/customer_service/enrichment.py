"""Resolving a sender address to a contact and customer.

Order:

1. an existing contact with that address (compared case-insensitively);
2. with plus-addressing on (`HELPDESK_PLUS_ADDRESSING`, default true), the contact of the
   address without its tag: `jane+billing@acme.com` is the contact of `jane@acme.com`;
3. the customer that owns the sender's domain;
4. the customer that owns a parent domain, only when that customer opted in with
   `include_subdomains`: `eu.acme.com` and `a.eu.acme.com` match `acme.com`. The nearest
   owning parent wins, and a parent owned by a customer without the opt-in stops the walk
   (a subdomain never skips over the customer that owns its nearer parent);
5. a new contact with no customer.

Free-mail and disposable domains and our own support domains never link a sender to a
customer by domain, at any level. Two first messages from the same new sender racing
each other end with one contact: the address is unique, and the loser of the insert
reads the winner's row.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from customer_service.domains import domain_of, normalize_address, parent_domains, without_plus_tag
from customer_service.models import Contact, ContactEmail, Customer, CustomerDomain
from helpdesk_contracts.enums import ContactMatch
from helpdesk_contracts.messages import ResolveContactReply
from helpdesk_runtime.logging import get_logger

log = get_logger(__name__)

# Every lookup below is one Core statement on a unique or indexed column, so a request
# runs one statement for a hit and two or three for a new contact, and loads no ORM
# objects. Each statement is atomic on its own, so callers may run them on an autocommit
# connection (the request handler) or inside their own transaction (a session).
Executor = AsyncConnection | AsyncSession

contacts = Contact.__table__
contact_emails = ContactEmail.__table__
customers = Customer.__table__
customer_domains = CustomerDomain.__table__

# The contact and its customer for the first of `addresses` (exact address, then the
# address without its plus tag) that is stored.
CONTACT_BY_ADDRESSES = (
    select(
        contact_emails.c.address,
        contacts.c.id,
        customers.c.id.label("customer_id"),
        customers.c.name,
        customers.c.tier,
    )
    .select_from(contact_emails)
    .join(contacts, contacts.c.id == contact_emails.c.contact_id)
    .outerjoin(customers, customers.c.id == contacts.c.customer_id)
    .where(contact_emails.c.address.in_(bindparam("addresses", expanding=True)))
)

# The owners of `domains` (the sender's domain and its parents) with their opt-in.
OWNERS_OF_DOMAINS = (
    select(
        customer_domains.c.domain,
        customers.c.id,
        customers.c.name,
        customers.c.tier,
        customers.c.include_subdomains,
    )
    .select_from(customer_domains)
    .join(customers, customers.c.id == customer_domains.c.customer_id)
    .where(customer_domains.c.domain.in_(bindparam("domains", expanding=True)))
)

# The address row goes in first and the contact only when the address was free, in one
# statement: a sender racing another first message inserts nothing and leaves no orphan
# contact behind. The foreign key is checked at the end of the statement, once both rows
# exist.
INSERT_CONTACT = text(
    """WITH email AS (
    INSERT INTO customers.contact_emails (address, contact_id)
    VALUES (:address, :contact_id)
    ON CONFLICT (address) DO NOTHING
    RETURNING contact_id
)
INSERT INTO customers.contacts (id, name, customer_id)
SELECT contact_id, :name, :customer_id FROM email
RETURNING id"""
)


class DomainPolicy:
    """The domains that must never link a sender to a customer."""

    def __init__(
        self, free_mail: frozenset[str], support: frozenset[str], plus_addressing: bool = True
    ) -> None:
        self.free_mail = free_mail
        self.support = support
        self.plus_addressing = plus_addressing

    def may_link(self, domain: str) -> bool:
        """Return whether senders at `domain` may be linked to a customer by domain."""
        return bool(domain) and domain not in self.free_mail and domain not in self.support


@dataclass(frozen=True)
class LinkedCustomer:
    """The customer a new contact is linked to, with the fields the reply carries."""

    id: uuid.UUID
    name: str
    tier: str


def _reply(
    contact_id: uuid.UUID,
    customer: LinkedCustomer | None,
    match: ContactMatch,
    rule: str | None = None,
) -> ResolveContactReply:
    return ResolveContactReply(
        contact_id=contact_id,
        match=match,
        customer_id=customer.id if customer else None,
        customer_name=customer.name if customer else None,
        customer_tier=customer.tier if customer else None,
        match_rule=rule,
    )


async def _known_contact(
    executor: Executor, address: str, policy: DomainPolicy
) -> ResolveContactReply | None:
    """Return the reply for a stored address, or for its untagged form (rules 1 and 2)."""
    untagged = without_plus_tag(address)
    candidates = [address]
    if policy.plus_addressing and untagged != address:
        candidates.append(untagged)

    rows = (await executor.execute(CONTACT_BY_ADDRESSES, {"addresses": candidates})).all()

    # The exact address wins over the untagged one when both are stored.
    for candidate in candidates:
        for row in rows:
            if row.address == candidate:
                customer = (
                    LinkedCustomer(row.customer_id, row.name, row.tier)
                    if row.customer_id is not None
                    else None
                )
                rule = None if candidate == address else "plus_address"
                return _reply(row.id, customer, ContactMatch.ADDRESS, rule)
    return None


def _linkable_domains(domain: str, policy: DomainPolicy) -> list[str]:
    """Return `domain` and its parents, nearest first, up to the first one that may not link."""
    linkable = []
    for candidate in [domain, *parent_domains(domain)]:
        if not policy.may_link(candidate):
            break
        linkable.append(candidate)
    return linkable


async def _customer_for_domain(
    executor: Executor, domain: str, policy: DomainPolicy
) -> tuple[LinkedCustomer | None, str | None]:
    """Return the customer that owns `domain` or opted in for it as a parent (rules 3, 4)."""
    candidates = _linkable_domains(domain, policy)
    if not candidates:
        return None, None

    rows = (await executor.execute(OWNERS_OF_DOMAINS, {"domains": candidates})).all()
    owners = {row.domain: row for row in rows}

    # The nearest owned domain decides: its owner matches the domain itself, or a
    # subdomain only with the opt-in; a nearer owner without it stops the walk.
    for candidate in candidates:
        owner = owners.get(candidate)
        if owner is None:
            continue
        customer = LinkedCustomer(owner.id, owner.name, owner.tier)
        if candidate == domain:
            return customer, None
        return (customer, "subdomain") if owner.include_subdomains else (None, None)
    return None, None


async def _insert_contact(
    executor: Executor, address: str, name: str, customer: LinkedCustomer | None
) -> uuid.UUID | None:
    """Insert a contact with `address`; return its id, or None when the address was taken."""
    parameters = {
        "address": address,
        "contact_id": uuid.uuid4(),
        "name": name,
        "customer_id": customer.id if customer else None,
    }
    result = await executor.execute(INSERT_CONTACT, parameters)
    return result.scalar_one_or_none()


async def resolve_contact(
    executor: Executor, raw_address: str, display_name: str, policy: DomainPolicy
) -> ResolveContactReply:
    """Find or create the contact for `raw_address`.

    On a session the caller commits; on an autocommit connection each statement commits
    by itself.
    """
    address = normalize_address(raw_address)

    known = await _known_contact(executor, address, policy)
    if known is not None:
        return known

    customer, rule = await _customer_for_domain(executor, domain_of(address), policy)
    match = ContactMatch.DOMAIN if customer is not None else ContactMatch.NEW

    contact_id = await _insert_contact(executor, address, display_name, customer)
    if contact_id is None:
        # Another request created a contact for this address first: use it.
        winner = await _known_contact(executor, address, policy)
        if winner is None:
            raise RuntimeError(f"contact for {address!r} neither inserted nor found")
        log.info("contact created concurrently, reusing it", contact_id=str(winner.contact_id))
        return winner

    log.info(
        "contact created",
        contact_id=str(contact_id),
        customer_id=str(customer.id) if customer else None,
        match=match.value,
        rule=rule,
    )
    return _reply(contact_id, customer, match, rule)
