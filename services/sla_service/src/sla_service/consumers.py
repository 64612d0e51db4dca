"""Durable consumers of ticket events: new tickets get targets, later events outcomes.

Each handler claims the event id in `processed_messages` in the same transaction as its
change, so a redelivered event changes nothing twice. An event for a ticket without
targets yet raises `TargetsNotFoundError`, and the consumer redelivers it with a growing
delay until the ticket's TicketCreated has been handled (or dead-letters it after the
last attempt).
"""

from nats.js import JetStreamContext

from helpdesk_contracts import streams, subjects
from helpdesk_contracts.messages import (
    TicketCreated,
    TicketEnriched,
    TicketFirstResponded,
    TicketPriorityChanged,
    TicketStatusChanged,
)
from helpdesk_runtime.consumers import Delivery, subscribe_durable
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.idempotency import claim_message
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.service import ServiceRuntime
from sla_service.models import processed_messages
from sla_service.outcomes import record_first_response, record_status_change
from sla_service.recompute import PolicyInputs, recompute_targets
from sla_service.targets import set_targets

log = get_logger(__name__)

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

    async def handle_created(event: TicketCreated, delivery: Delivery) -> None:
        with bound_context(ticket_id=event.ticket_id, event_id=event.id):
            async with unit_of_work(runtime.sessions) as session:
                if not await claim_message(session, processed_messages, CREATED_CONSUMER, event.id):
                    log.info("ticket created event already handled")
                    return
                await set_targets(session, event, delivery.correlation_id, warning_fractions)

    async def handle_first_response(event: TicketFirstResponded, _delivery: Delivery) -> None:
        with bound_context(ticket_id=event.ticket_id, event_id=event.id):
            async with unit_of_work(runtime.sessions) as session:
                claimed = await claim_message(
                    session, processed_messages, FIRST_RESPONSE_CONSUMER, event.id
                )
                if not claimed:
                    log.info("first response event already handled")
                    return
                await record_first_response(session, event)

    async def handle_status_change(event: TicketStatusChanged, delivery: Delivery) -> None:
        with bound_context(ticket_id=event.ticket_id, event_id=event.id):
            async with unit_of_work(runtime.sessions) as session:
                if not await claim_message(session, processed_messages, STATUS_CONSUMER, event.id):
                    log.info("status change event already handled")
                    return
                await record_status_change(
                    session, event, warning_fractions, delivery.correlation_id
                )

    async def handle_priority_change(event: TicketPriorityChanged, delivery: Delivery) -> None:
        with bound_context(ticket_id=event.ticket_id, event_id=event.id):
            async with unit_of_work(runtime.sessions) as session:
                if not await claim_message(
                    session, processed_messages, PRIORITY_CONSUMER, event.id
                ):
                    return
                changed = PolicyInputs(priority=event.to_priority)
                await recompute_targets(
                    session,
                    event.ticket_id,
                    changed,
                    event.version,
                    delivery.correlation_id,
                    warning_fractions,
                )

    async def handle_enriched(event: TicketEnriched, delivery: Delivery) -> None:
        with bound_context(ticket_id=event.ticket_id, event_id=event.id):
            async with unit_of_work(runtime.sessions) as session:
                if not await claim_message(
                    session, processed_messages, ENRICHED_CONSUMER, event.id
                ):
                    return
                if event.customer_tier is None:
                    return
                changed = PolicyInputs(tier=event.customer_tier)
                await recompute_targets(
                    session,
                    event.ticket_id,
                    changed,
                    event.version,
                    delivery.correlation_id,
                    warning_fractions,
                )

    def jetstream() -> JetStreamContext:
        return runtime.js

    subscribe_durable(
        runtime.broker,
        jetstream,
        subject=subjects.TICKET_CREATED,
        stream=streams.TICKET_EVENTS.name,
        durable=CREATED_CONSUMER,
        message_type=TicketCreated,
        handler=handle_created,
    )
    subscribe_durable(
        runtime.broker,
        jetstream,
        subject=subjects.TICKET_FIRST_RESPONDED,
        stream=streams.TICKET_EVENTS.name,
        durable=FIRST_RESPONSE_CONSUMER,
        message_type=TicketFirstResponded,
        handler=handle_first_response,
    )
    subscribe_durable(
        runtime.broker,
        jetstream,
        subject=subjects.TICKET_STATUS_CHANGED,
        stream=streams.TICKET_EVENTS.name,
        durable=STATUS_CONSUMER,
        message_type=TicketStatusChanged,
        handler=handle_status_change,
    )
    subscribe_durable(
        runtime.broker,
        jetstream,
        subject=subjects.TICKET_PRIORITY_CHANGED,
        stream=streams.TICKET_EVENTS.name,
        durable=PRIORITY_CONSUMER,
        message_type=TicketPriorityChanged,
        handler=handle_priority_change,
    )
    subscribe_durable(
        runtime.broker,
        jetstream,
        subject=subjects.TICKET_ENRICHED,
        stream=streams.TICKET_EVENTS.name,
        durable=ENRICHED_CONSUMER,
        message_type=TicketEnriched,
        handler=handle_enriched,
    )
