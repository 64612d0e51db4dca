"""Keeping tickets' contact and customer fields current with customer_service's changes.

Durable consumers on the CUSTOMER_EVENTS stream:

- `ContactMoved`: tickets whose primary contact moved get the new customer's id, name
  and tier (or none);
- `CustomerTierChanged`: the customer's tickets get the new tier;
- `ContactsMerged`: the merged contact is replaced by the target in `contact_ids` and
  `primary_contact_id`.

Every changed ticket gets `version + 1` and a `ticket.events.enriched` event with its new
contact and customer fields, so sla_service and customer_service see the change. The
handlers are idempotent through `processed_messages`.

Moves and tier changes can arrive out of order: one pull batch is handled concurrently,
and a failed event is redelivered after later ones. Each ticket keeps the `occurred_at`
of the newest of these events it applied (`customer_event_at`), and an older event is
skipped for that ticket, so the newest state wins whatever the delivery order.

NOTE: a tier change that arrives before the move that brings a ticket to the customer
does not match the ticket yet; the move then applies the tier it carried, which may be
older than that tier change.
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from nats.js import JetStreamContext
from sqlalchemy import ColumnElement, any_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts import streams, subjects
from helpdesk_contracts.messages import (
    ContactMoved,
    ContactsMerged,
    CustomerTierChanged,
    Message,
)
from helpdesk_runtime.consumers import Delivery, subscribe_durable
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.idempotency import claim_message
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.service import ServiceRuntime
from ticket_service import events
from ticket_service.models import Ticket, processed_messages

log = get_logger(__name__)

CONSUMER_PREFIX = "ticket_service-customers"

EventT = TypeVar("EventT", bound=Message)


async def _tickets_for_update(
    session: AsyncSession, condition: ColumnElement[bool]
) -> list[Ticket]:
    result = await session.execute(
        select(Ticket).where(condition).order_by(Ticket.id).with_for_update()
    )
    return list(result.scalars())


async def _announce(session: AsyncSession, ticket: Ticket, correlation_id: str) -> None:
    ticket.version += 1
    ticket.updated_at = datetime.now(UTC)
    await session.flush()
    await events.ticket_enriched(session, ticket, correlation_id)


def _is_stale(ticket: Ticket, event: ContactMoved | CustomerTierChanged) -> bool:
    applied = ticket.customer_event_at
    if applied is None or event.occurred_at >= applied:
        return False
    log.info(
        "stale customer event skipped",
        ticket_id=str(ticket.id),
        event_occurred_at=event.occurred_at.isoformat(),
        applied_occurred_at=applied.isoformat(),
    )
    return True


async def apply_contact_moved(
    session: AsyncSession, event: ContactMoved, correlation_id: str
) -> int:
    """Give the moved contact's tickets its new customer and return how many changed."""
    tickets = await _tickets_for_update(session, Ticket.primary_contact_id == event.contact_id)
    current = [ticket for ticket in tickets if not _is_stale(ticket, event)]
    for ticket in current:
        ticket.customer_id = event.to_customer_id
        ticket.customer_name = event.customer_name
        ticket.customer_tier = event.customer_tier
        ticket.customer_event_at = event.occurred_at
        await _announce(session, ticket, correlation_id)
    return len(current)


async def apply_tier_changed(
    session: AsyncSession, event: CustomerTierChanged, correlation_id: str
) -> int:
    """Give the customer's tickets the new tier and return how many changed."""
    tickets = await _tickets_for_update(session, Ticket.customer_id == event.customer_id)
    current = [ticket for ticket in tickets if not _is_stale(ticket, event)]
    for ticket in current:
        ticket.customer_tier = event.to_tier
        ticket.customer_event_at = event.occurred_at
        await _announce(session, ticket, correlation_id)
    return len(current)


def _merged_contact_ids(
    contact_ids: list[uuid.UUID], source: uuid.UUID, target: uuid.UUID
) -> list[uuid.UUID]:
    replaced = [target if contact_id == source else contact_id for contact_id in contact_ids]
    return list(dict.fromkeys(replaced))


async def apply_contacts_merged(
    session: AsyncSession, event: ContactsMerged, correlation_id: str
) -> int:
    """Replace the merged contact by the target on its tickets and return how many changed."""
    source, target = event.source_contact_id, event.target_contact_id
    tickets = await _tickets_for_update(
        session, or_(any_(Ticket.contact_ids) == source, Ticket.primary_contact_id == source)
    )
    for ticket in tickets:
        ticket.contact_ids = _merged_contact_ids(list(ticket.contact_ids), source, target)
        if ticket.primary_contact_id == source:
            ticket.primary_contact_id = target
        await _announce(session, ticket, correlation_id)
    return len(tickets)


def register_customer_updates(runtime: ServiceRuntime) -> None:
    """Subscribe the customer-change consumers on `runtime.broker`."""

    def jetstream() -> JetStreamContext:
        return runtime.js

    def subscribe(
        subject: str,
        name: str,
        event_type: type[EventT],
        apply: Callable[[AsyncSession, EventT, str], Awaitable[int]],
    ) -> None:
        durable = f"{CONSUMER_PREFIX}-{name}"

        async def handle(event: EventT, delivery: Delivery) -> None:
            with bound_context(event_id=event.id):
                async with unit_of_work(runtime.sessions) as session:
                    if not await claim_message(session, processed_messages, durable, event.id):
                        log.info("customer event already handled")
                        return
                    changed = await apply(session, event, delivery.correlation_id)
            log.info("tickets updated from customer event", tickets=changed)

        subscribe_durable(
            runtime.broker,
            jetstream,
            subject=subject,
            stream=streams.CUSTOMER_EVENTS.name,
            durable=durable,
            message_type=event_type,
            handler=handle,
        )

    subscribe(subjects.CUSTOMER_CONTACT_MOVED, "contact_moved", ContactMoved, apply_contact_moved)
    subscribe(
        subjects.CUSTOMER_TIER_CHANGED, "tier_changed", CustomerTierChanged, apply_tier_changed
    )
    subscribe(
        subjects.CUSTOMER_CONTACTS_MERGED, "contacts_merged", ContactsMerged, apply_contacts_merged
    )
