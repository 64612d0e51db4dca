"""A local copy of each ticket's headline, kept from ticket_service's events.

The account context lists a customer's earlier tickets without calling ticket_service.
Every event carries the ticket's version, and an update applies only when its version is
newer than the stored one, so stale and repeated events change nothing. Status and
interaction events that arrive before the ticket's `created` event fail and are
redelivered with the runtime's growing delay. After the runtime's last attempt (about 15 s
with the default of 5) such an event is dead-lettered.
"""

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import TypeVar

from nats.js import JetStreamContext
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from customer_service.models import TicketSummary, processed_messages
from helpdesk_contracts import streams, subjects
from helpdesk_contracts.messages import (
    InteractionAdded,
    Message,
    TicketCreated,
    TicketEnriched,
    TicketStatusChanged,
)
from helpdesk_runtime.consumers import Delivery, NotReadyError, subscribe_durable
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.idempotency import claim_message
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.service import ServiceRuntime

log = get_logger(__name__)

CONSUMER_PREFIX = "customer_service-tickets"

EventT = TypeVar("EventT", bound=Message)


class TicketNotSummarizedError(NotReadyError):
    """An event about a ticket whose `created` event has not been handled yet."""


async def record_created(session: AsyncSession, event: TicketCreated) -> None:
    await session.execute(
        insert(TicketSummary)
        .values(
            ticket_id=event.ticket_id,
            number=event.number,
            subject=event.subject,
            status=event.status.value,
            customer_id=event.customer_id,
            primary_contact_id=event.primary_contact_id,
            created_at=event.created_at,
            last_activity_at=event.created_at,
            version=event.version,
        )
        .on_conflict_do_nothing()
    )


async def _apply_if_newer(
    session: AsyncSession, ticket_id: uuid.UUID, version: int, values: Mapping[str, object]
) -> None:
    # Reading the version under a row lock before the update, so a `created` row still
    # uncommitted in another transaction reads as missing (and the event is redelivered)
    # and is never mistaken for a newer one.
    stored = await session.scalar(
        select(TicketSummary.version).where(TicketSummary.ticket_id == ticket_id).with_for_update()
    )
    if stored is None:
        raise TicketNotSummarizedError(f"ticket {ticket_id} has no summary yet")

    if stored >= version:
        log.info("stale ticket event ignored", ticket_id=str(ticket_id), version=version)
        return

    await session.execute(
        update(TicketSummary)
        .where(TicketSummary.ticket_id == ticket_id)
        .values(version=version, **values)
    )


def _later(activity_at: datetime) -> object:
    return func.greatest(TicketSummary.last_activity_at, activity_at)


async def record_status_changed(session: AsyncSession, event: TicketStatusChanged) -> None:
    values = {"status": event.to_status.value, "last_activity_at": _later(event.changed_at)}
    await _apply_if_newer(session, event.ticket_id, event.version, values)


async def record_interaction(session: AsyncSession, event: InteractionAdded) -> None:
    values = {"last_activity_at": _later(event.created_at)}
    await _apply_if_newer(session, event.ticket_id, event.version, values)


async def record_enriched(session: AsyncSession, event: TicketEnriched) -> None:
    values = {"customer_id": event.customer_id, "primary_contact_id": event.primary_contact_id}
    await _apply_if_newer(session, event.ticket_id, event.version, values)


def register_ticket_summaries(runtime: ServiceRuntime) -> None:
    """Subscribe durable consumers that keep `ticket_summaries` current."""

    def jetstream() -> JetStreamContext:
        return runtime.js

    def subscribe(
        subject: str,
        name: str,
        event_type: type[EventT],
        apply: Callable[[AsyncSession, EventT], Awaitable[None]],
    ) -> None:
        durable = f"{CONSUMER_PREFIX}-{name}"

        async def handle(event: EventT, _delivery: Delivery) -> None:
            ticket_id = getattr(event, "ticket_id", None)
            with bound_context(ticket_id=ticket_id, event_id=event.id):
                async with unit_of_work(runtime.sessions) as session:
                    if not await claim_message(session, processed_messages, durable, event.id):
                        log.info("ticket event already handled")
                        return
                    await apply(session, event)

        subscribe_durable(
            runtime.broker,
            jetstream,
            subject=subject,
            stream=streams.TICKET_EVENTS.name,
            durable=durable,
            message_type=event_type,
            handler=handle,
        )

    subscribe(subjects.TICKET_CREATED, "created", TicketCreated, record_created)
    subscribe(
        subjects.TICKET_STATUS_CHANGED, "status_changed", TicketStatusChanged, record_status_changed
    )
    subscribe(
        subjects.TICKET_INTERACTION_ADDED, "interaction_added", InteractionAdded, record_interaction
    )
    subscribe(subjects.TICKET_ENRICHED, "enriched", TicketEnriched, record_enriched)
