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

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from customer_service.domains import domain_of, normalize_address, parent_domains, without_plus_tag
from customer_service.models import Contact, ContactEmail, Customer, CustomerDomain
from helpdesk_contracts.enums import ContactMatch
from helpdesk_contracts.messages import ResolveContactReply
from helpdesk_runtime.logging import get_logger

log = get_logger(__name__)


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


async def _contact_by_address(session: AsyncSession, address: str) -> Contact | None:
    result = await session.execute(
        select(Contact).join(ContactEmail).where(ContactEmail.address == address)
    )
    return result.scalar_one_or_none()


async def _customer_by_domain(session: AsyncSession, domain: str) -> Customer | None:
    result = await session.execute(
        select(Customer).join(CustomerDomain).where(CustomerDomain.domain == domain)
    )
    return result.scalar_one_or_none()


async def _customer_for_domain(
    session: AsyncSession, domain: str, policy: DomainPolicy
) -> tuple[Customer | None, str | None]:
    """Return the customer that owns `domain` or opted in for it as a parent domain."""
    if not policy.may_link(domain):
        return None, None

    owner = await _customer_by_domain(session, domain)
    if owner is not None:
        return owner, None

    for parent in parent_domains(domain):
        if not policy.may_link(parent):
            return None, None
        owner = await _customer_by_domain(session, parent)
        if owner is not None:
            return (owner, "subdomain") if owner.include_subdomains else (None, None)
    return None, None


async def _reply_for(
    session: AsyncSession, contact: Contact, match: ContactMatch, rule: str | None = None
) -> ResolveContactReply:
    customer = None
    if contact.customer_id is not None:
        customer = await session.get(Customer, contact.customer_id)
    return ResolveContactReply(
        contact_id=contact.id,
        match=match,
        customer_id=customer.id if customer else None,
        customer_name=customer.name if customer else None,
        customer_tier=customer.tier if customer else None,
        match_rule=rule,
    )


async def resolve_contact(
    session: AsyncSession, raw_address: str, display_name: str, policy: DomainPolicy
) -> ResolveContactReply:
    """Find or create the contact for `raw_address`; the caller commits."""
    address = normalize_address(raw_address)

    existing = await _contact_by_address(session, address)
    if existing is not None:
        return await _reply_for(session, existing, ContactMatch.ADDRESS)

    untagged = without_plus_tag(address)
    if policy.plus_addressing and untagged != address:
        base_contact = await _contact_by_address(session, untagged)
        if base_contact is not None:
            return await _reply_for(session, base_contact, ContactMatch.ADDRESS, "plus_address")

    domain = domain_of(address)
    customer, rule = await _customer_for_domain(session, domain, policy)
    match = ContactMatch.DOMAIN if customer is not None else ContactMatch.NEW

    customer_id = customer.id if customer is not None else None
    contact = Contact(id=uuid.uuid4(), name=display_name, customer_id=customer_id)
    try:
        async with session.begin_nested():
            session.add(contact)
            await session.flush()
            session.add(ContactEmail(address=address, contact_id=contact.id))
            await session.flush()
    except IntegrityError:
        # Another request created a contact for this address first: use it.
        winner = await _contact_by_address(session, address)
        if winner is None:
            raise
        log.info("contact created concurrently, reusing it", contact_id=str(winner.id))
        return await _reply_for(session, winner, ContactMatch.ADDRESS)

    log.info(
        "contact created",
        contact_id=str(contact.id),
        customer_id=str(contact.customer_id) if contact.customer_id else None,
        match=match.value,
        rule=rule,
    )
    return await _reply_for(session, contact, match, rule)
