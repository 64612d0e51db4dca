"""Outbox events about customers and contacts, written in the caller's transaction."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from customer_service.models import outbox
from helpdesk_contracts import subjects
from helpdesk_contracts.messages import (
    ContactMoved,
    ContactsMerged,
    CustomerDomainAdded,
    CustomerTierChanged,
)
from helpdesk_runtime.outbox import add_event


async def contact_moved(
    session: AsyncSession,
    contact_id: uuid.UUID,
    from_customer_id: uuid.UUID | None,
    to_customer_id: uuid.UUID | None,
    customer_tier: str | None,
    customer_name: str | None,
) -> None:
    event = ContactMoved(
        contact_id=contact_id,
        from_customer_id=from_customer_id,
        to_customer_id=to_customer_id,
        customer_tier=customer_tier,
        customer_name=customer_name,
    )
    await add_event(session, outbox, subjects.CUSTOMER_CONTACT_MOVED, event)


async def tier_changed(
    session: AsyncSession, customer_id: uuid.UUID, from_tier: str, to_tier: str
) -> None:
    event = CustomerTierChanged(customer_id=customer_id, from_tier=from_tier, to_tier=to_tier)
    await add_event(session, outbox, subjects.CUSTOMER_TIER_CHANGED, event)


async def domain_added(session: AsyncSession, customer_id: uuid.UUID, domain: str) -> None:
    event = CustomerDomainAdded(customer_id=customer_id, domain=domain)
    await add_event(session, outbox, subjects.CUSTOMER_DOMAIN_ADDED, event)


async def contacts_merged(
    session: AsyncSession, source_contact_id: uuid.UUID, target_contact_id: uuid.UUID
) -> None:
    event = ContactsMerged(source_contact_id=source_contact_id, target_contact_id=target_contact_id)
    await add_event(session, outbox, subjects.CUSTOMER_CONTACTS_MERGED, event)
