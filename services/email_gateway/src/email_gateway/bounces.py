"""Matching bounces to the outbound deliveries they report, in the caller's transaction.

A bounce never opens a ticket. A matched one marks its `outbound_deliveries` row failed
with the report's status and diagnostic, and adds one `OutboundEmailBounced` per failed
recipient to the outbox. The event ids derive from the raw message and the recipient,
so a bounce processed twice publishes each event once.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from email_gateway.models import DeliveryStatus, OutboundDelivery, outbox
from email_gateway.parsing.delivery_status import DeliveryReport, FailedRecipient
from helpdesk_contracts import subjects
from helpdesk_contracts.messages import OutboundEmailBounced
from helpdesk_runtime.outbox import add_event

_BOUNCE_EVENT_NAMESPACE = uuid.UUID("0d3c1e8a-4b1f-4f52-8d0e-7a4c3b9e2f61")

# Recorded when a report names no failed recipient but its sender is a mailer daemon,
# as in plain-text bounces without a machine-readable part.
_UNKNOWN_RECIPIENT = FailedRecipient(recipient="", status="", diagnostic="")


@dataclass(frozen=True)
class BounceMatch:
    """The delivery a bounce was matched to and the events it produced."""

    delivery: OutboundDelivery
    events: tuple[OutboundEmailBounced, ...]


async def record_bounce(
    session: AsyncSession, report: DeliveryReport, raw_id: uuid.UUID, correlation_id: str
) -> BounceMatch | None:
    """Mark the matched delivery failed and add the bounce events; None when nothing matched."""
    delivery = await _matching_delivery(session, report)
    if delivery is None:
        return None
    if not report.recipients and report.has_status_part:
        # A report of delays or of successful delivery leaves the delivery as it is.
        return BounceMatch(delivery=delivery, events=())

    recipients = report.recipients or (_UNKNOWN_RECIPIENT,)
    delivery.status = DeliveryStatus.FAILED.value
    delivery.last_error = _bounce_error(recipients)

    events = tuple(_bounce_event(delivery, recipient, raw_id) for recipient in recipients)
    for event in events:
        await add_event(session, outbox, subjects.MAIL_OUTBOUND_BOUNCED, event, correlation_id)
    return BounceMatch(delivery=delivery, events=events)


async def _matching_delivery(
    session: AsyncSession, report: DeliveryReport
) -> OutboundDelivery | None:
    """Find the delivery by the returned Message-ID, else the ticket's latest delivery."""
    for message_id in report.message_ids:
        row = (
            await session.execute(
                select(OutboundDelivery)
                .where(OutboundDelivery.message_id == message_id)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is not None:
            return row

    for ticket_text in report.ticket_ids:
        try:
            ticket_id = uuid.UUID(ticket_text)
        except ValueError:
            continue
        # NOTE: without a Message-ID the bounce is charged to the ticket's latest reply,
        # which is wrong when an older reply bounces late.
        row = (
            await session.execute(
                select(OutboundDelivery)
                .where(OutboundDelivery.ticket_id == ticket_id)
                .order_by(OutboundDelivery.created_at.desc())
                .limit(1)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is not None:
            return row
    return None


def _bounce_event(
    delivery: OutboundDelivery, recipient: FailedRecipient, raw_id: uuid.UUID
) -> OutboundEmailBounced:
    return OutboundEmailBounced(
        id=uuid.uuid5(_BOUNCE_EVENT_NAMESPACE, f"{raw_id}:{recipient.recipient.lower()}"),
        ticket_id=delivery.ticket_id,
        interaction_id=delivery.interaction_id,
        message_id=delivery.message_id,
        status=recipient.status,
        diagnostic=recipient.diagnostic,
        recipient=recipient.recipient,
    )


def _bounce_error(recipients: tuple[FailedRecipient, ...]) -> str:
    described = []
    for recipient in recipients:
        parts = (recipient.recipient or "unknown recipient", recipient.status, recipient.diagnostic)
        described.append(" ".join(part for part in parts if part))
    return "bounced: " + "; ".join(described)
