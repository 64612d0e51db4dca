"""Durable JetStream consumers of ticket_service: inbound mail and SLA targets.

Both use the runtime's delivery semantics: a handler error is redelivered with a growing
delay and dead-lettered after the last attempt. Inbound mail is idempotent through the
Message-ID index, SLA targets through `processed_messages`.
"""

from nats.js import JetStreamContext

from helpdesk_contracts import streams, subjects
from helpdesk_contracts.messages import InboundEmailReceived, SlaTargetsSet
from helpdesk_runtime.consumers import Delivery, UnprocessableMessageError, subscribe_durable
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.idempotency import claim_message
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.service import ServiceRuntime
from ticket_service.enrichment import ContactResolver
from ticket_service.errors import TicketNotFoundError
from ticket_service.inbound import InboundContext, handle_inbound_email
from ticket_service.models import processed_messages
from ticket_service.participants import InternalAddresses
from ticket_service.settings import TicketSettings
from ticket_service.sla_targets import apply_sla_targets

log = get_logger(__name__)

INBOUND_CONSUMER = "ticket_service-inbound"
SLA_CONSUMER = "ticket_service-sla"


def register_consumers(
    runtime: ServiceRuntime, settings: TicketSettings, resolver: ContactResolver
) -> None:
    """Subscribe the inbound-mail and SLA-targets handlers on `runtime.broker`."""

    internal = InternalAddresses.of(
        [settings.support_address, *settings.team_sender_addresses().values()],
        settings.mail_domain,
    )

    async def handle_inbound(message: InboundEmailReceived, delivery: Delivery) -> None:
        context = InboundContext(
            mail_domain=settings.mail_domain,
            resolver=resolver,
            correlation_id=delivery.correlation_id,
            internal=internal,
        )
        with bound_context(message_id=message.message_id, raw_message_id=message.raw_message_id):
            async with unit_of_work(runtime.sessions) as session:
                await handle_inbound_email(session, message, context)

    async def handle_sla_targets(event: SlaTargetsSet, _delivery: Delivery) -> None:
        with bound_context(ticket_id=event.ticket_id, event_id=event.id):
            async with unit_of_work(runtime.sessions) as session:
                if not await claim_message(session, processed_messages, SLA_CONSUMER, event.id):
                    log.info("sla targets event already handled")
                    return
                try:
                    await apply_sla_targets(session, event)
                except TicketNotFoundError as exc:
                    # sla_service computes targets only after it consumed TicketCreated,
                    # which leaves after the ticket's commit, so no retry can find it.
                    raise UnprocessableMessageError(str(exc)) from exc

    def jetstream() -> JetStreamContext:
        return runtime.js

    subscribe_durable(
        runtime.broker,
        jetstream,
        subject=subjects.MAIL_INBOUND_RECEIVED,
        stream=streams.MAIL.name,
        durable=INBOUND_CONSUMER,
        message_type=InboundEmailReceived,
        handler=handle_inbound,
    )
    subscribe_durable(
        runtime.broker,
        jetstream,
        subject=subjects.SLA_TARGETS_SET,
        stream=streams.SLA_EVENTS.name,
        durable=SLA_CONSUMER,
        message_type=SlaTargetsSet,
        handler=handle_sla_targets,
    )
