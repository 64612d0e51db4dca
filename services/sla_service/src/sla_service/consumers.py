"""Durable consumers of ticket events: new tickets get targets, later events outcomes.

Each handler claims the event id in `processed_messages` in the same transaction as its
change, so a redelivered event changes nothing twice. An event for a ticket without
targets yet raises `TargetsNotFoundError`, and the consumer redelivers it with a growing
delay until the ticket's TicketCreated has been handled (or dead-letters it after the
last attempt).
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts import streams, subjects
from helpdesk_contracts.messages import (
    TicketCreated,
    TicketEnriched,
    TicketFirstResponded,
    TicketPriorityChanged,
    TicketStatusChanged,
)
from helpdesk_runtime.consumers import Delivery, subscribe_idempotent
from helpdesk_runtime.service import ServiceRuntime
from sla_service.models import processed_messages
from sla_service.outcomes import record_first_response, record_status_change
from sla_service.recompute import PolicyInputs, recompute_targets
from sla_service.targets import set_targets

CREATED_CONSUMER = "sla_service-created"
FIRST_RESPONSE_CONSUMER = "sla_service-first-response"
STATUS_CONSUMER = "sla_service-status"
PRIORITY_CONSUMER = "sla_service-priority"
ENRICHED_CONSUMER = "sla_service-enriched"


def register_ticket_consumers(
    runtime: ServiceRuntime, warning_fractions: tuple[float, ...] = ()
) -> None:
    """Subscribe the SLA handlers to the ticket events on `runtime.broker`.

    `warning_fractions` are the fractions of each target at which timers send SlaWarning.
    """

    async def apply_created(
        session: AsyncSession, event: TicketCreated, delivery: Delivery
    ) -> None:
        await set_targets(session, event, delivery.correlation_id, warning_fractions)

    async def apply_first_response(
        session: AsyncSession, event: TicketFirstResponded, _delivery: Delivery
    ) -> None:
        await record_first_response(session, event)

    async def apply_status_change(
        session: AsyncSession, event: TicketStatusChanged, delivery: Delivery
    ) -> None:
        await record_status_change(session, event, warning_fractions, delivery.correlation_id)

    async def recompute(
        session: AsyncSession,
        ticket_id: uuid.UUID,
        changed: PolicyInputs,
        version: int,
        delivery: Delivery,
    ) -> None:
        await recompute_targets(
            session, ticket_id, changed, version, delivery.correlation_id, warning_fractions
        )

    async def apply_priority_change(
        session: AsyncSession, event: TicketPriorityChanged, delivery: Delivery
    ) -> None:
        changed = PolicyInputs(priority=event.to_priority)
        await recompute(session, event.ticket_id, changed, event.version, delivery)

    async def apply_enriched(
        session: AsyncSession, event: TicketEnriched, delivery: Delivery
    ) -> None:
        if event.customer_tier is None:
            return
        changed = PolicyInputs(tier=event.customer_tier)
        await recompute(session, event.ticket_id, changed, event.version, delivery)

    stream = streams.TICKET_EVENTS.name
    subscribe_idempotent(
        runtime,
        subject=subjects.TICKET_CREATED,
        stream=stream,
        durable=CREATED_CONSUMER,
        message_type=TicketCreated,
        processed=processed_messages,
        apply=apply_created,
    )
    subscribe_idempotent(
        runtime,
        subject=subjects.TICKET_FIRST_RESPONDED,
        stream=stream,
        durable=FIRST_RESPONSE_CONSUMER,
        message_type=TicketFirstResponded,
        processed=processed_messages,
        apply=apply_first_response,
    )
    subscribe_idempotent(
        runtime,
        subject=subjects.TICKET_STATUS_CHANGED,
        stream=stream,
        durable=STATUS_CONSUMER,
        message_type=TicketStatusChanged,
        processed=processed_messages,
        apply=apply_status_change,
    )
    subscribe_idempotent(
        runtime,
        subject=subjects.TICKET_PRIORITY_CHANGED,
        stream=stream,
        durable=PRIORITY_CONSUMER,
        message_type=TicketPriorityChanged,
        processed=processed_messages,
        apply=apply_priority_change,
    )
    subscribe_idempotent(
        runtime,
        subject=subjects.TICKET_ENRICHED,
        stream=stream,
        durable=ENRICHED_CONSUMER,
        message_type=TicketEnriched,
        processed=processed_messages,
        apply=apply_enriched,
    )
