"""Resolving a sender address to a contact and customer.

Order: an existing contact with that address; else a customer that owns the sender's
domain (never a free-mail domain or one of our own support domains); else a new contact
with no customer. Two first messages from the same new sender racing each other end with
one contact: the address is unique, and the loser of the insert reads the winner's row.
"""

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from customer_service.domains import domain_of, normalize_address
from customer_service.models import Contact, ContactEmail, Customer, CustomerDomain
from helpdesk_contracts.enums import ContactMatch
from helpdesk_contracts.messages import ResolveContactReply
from helpdesk_runtime.logging import get_logger

log = get_logger(__name__)


class DomainPolicy:
    """The domains that must never link a sender to a customer."""

    def __init__(self, free_mail: frozenset[str], support: frozenset[str]) -> None:
        self.free_mail = free_mail
        self.support = support

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


async def _reply_for(
    session: AsyncSession, contact: Contact, match: ContactMatch
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
    )


async def resolve_contact(
    session: AsyncSession, raw_address: str, display_name: str, policy: DomainPolicy
) -> ResolveContactReply:
    """Find or create the contact for `raw_address`; the caller commits."""
    address = normalize_address(raw_address)

    existing = await _contact_by_address(session, address)
    if existing is not None:
        return await _reply_for(session, existing, ContactMatch.ADDRESS)

    domain = domain_of(address)
    customer = await _customer_by_domain(session, domain) if policy.may_link(domain) else None
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
    )
    return await _reply_for(session, contact, match)
