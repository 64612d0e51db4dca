"""Delivering agent replies: the durable consumer of `mail.outbound.requested`.

Each request has one `outbound_deliveries` row, keyed by its interaction id. The row is
locked for the whole attempt, so a redelivered or concurrently delivered request waits
and then finds the message already sent. The outcome event (`OutboundEmailSent` or
`OutboundEmailFailed`) is written to the outbox in the same transaction as the row.

A transient failure records the attempt and raises, so the consumer redelivers the
request with a growing delay. The attempt that reaches `outbound_max_attempts`, or a
permanent rejection, marks the delivery failed instead.

NOTE: delivery is at least once. If the process dies after the relay accepted the
message but before the row commits, the request is sent again with the same
Message-ID, which lets the recipient's mail system recognise the copy.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from email_gateway.models import DeliveryStatus, OutboundDelivery, outbox
from email_gateway.outbound_message import (
    InvalidOutboundMessageError,
    compose_message,
    envelope_recipients,
)
from email_gateway.relay import RelayError
from email_gateway.submission import MailSubmitter
from helpdesk_contracts import streams, subjects
from helpdesk_contracts.messages import (
    OutboundEmailFailed,
    OutboundEmailRequested,
    OutboundEmailSent,
)
from helpdesk_runtime.consumers import Delivery, subscribe_durable
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.metrics import counter
from helpdesk_runtime.outbox import add_event
from helpdesk_runtime.service import ServiceRuntime

log = get_logger(__name__)

OUTBOUND_CONSUMER = "email_gateway-outbound"

# Deliveries the consumer allows beyond the gateway's own attempts, so that a database
# outage, which fails the handler without counting an attempt, does not dead-letter
# a request before its attempts are used up.
EXTRA_CONSUMER_DELIVERIES = 3

sent_total = counter("email_outbound_sent_total", "Outbound messages accepted by the relay.")
failed_total = counter(
    "email_outbound_failed_total", "Outbound messages given up on, by permanent or not."
)
attempt_failures_total = counter(
    "email_outbound_attempt_failures_total", "Failed attempts to hand a message to the relay."
)


class DeliveryRetryError(Exception):
    """Raised after a transient failure, so the consumer redelivers the request later."""


@dataclass(frozen=True)
class AttemptResult:
    """The outcome of one delivery attempt; a set `retry` means the request is delivered again."""

    status: DeliveryStatus
    attempts: int
    retry: str | None = None


class OutboundDeliverer:
    """Sends each requested reply once and reports the outcome through the outbox."""

    def __init__(
        self, runtime: ServiceRuntime, submitter: MailSubmitter, max_attempts: int
    ) -> None:
        self._runtime = runtime
        self._submitter = submitter
        self._max_attempts = max_attempts

    @property
    def max_attempts(self) -> int:
        """Attempts after which a transiently failing message is reported as failed."""
        return self._max_attempts

    async def handle(self, request: OutboundEmailRequested, delivery: Delivery) -> None:
        """Deliver one request; raise DeliveryRetryError when it must be tried again."""
        with bound_context(
            ticket_id=request.ticket_id,
            interaction_id=request.interaction_id,
            message_id=request.message_id,
        ):
            async with unit_of_work(self._runtime.sessions) as session:
                result = await self._attempt(session, request, delivery.correlation_id)

            if result.retry is not None:
                raise DeliveryRetryError(
                    f"attempt {result.attempts} of {self._max_attempts} failed: {result.retry}"
                )

    async def _attempt(
        self, session: AsyncSession, request: OutboundEmailRequested, correlation_id: str
    ) -> AttemptResult:
        row = await _locked_delivery(session, request)
        if row.status != DeliveryStatus.PENDING.value:
            log.info("outbound message already handled", status=row.status)
            return AttemptResult(status=DeliveryStatus(row.status), attempts=row.attempts)

        row.attempts += 1
        try:
            message = compose_message(request)
            result = await self._submitter.submit(
                message, request.sender.address, envelope_recipients(request)
            )
        except InvalidOutboundMessageError as exc:
            return await self._fail(session, row, request, str(exc), correlation_id)
        except RelayError as exc:
            attempt_failures_total.inc()
            if exc.permanent or row.attempts >= self._max_attempts:
                return await self._fail(session, row, request, str(exc), correlation_id)
            row.last_error = str(exc)
            log.warning("outbound attempt failed", attempt=row.attempts, error=str(exc))
            return AttemptResult(DeliveryStatus.PENDING, row.attempts, retry=str(exc))

        if result.rejected:
            log.warning("relay rejected some recipients", rejected=result.rejected)
        return await self._succeed(session, row, request, correlation_id)

    async def _succeed(
        self,
        session: AsyncSession,
        row: OutboundDelivery,
        request: OutboundEmailRequested,
        correlation_id: str,
    ) -> AttemptResult:
        row.status = DeliveryStatus.SENT.value
        row.sent_at = datetime.now(UTC)
        row.last_error = None
        event = OutboundEmailSent(
            ticket_id=request.ticket_id,
            interaction_id=request.interaction_id,
            message_id=request.message_id,
            sent_at=row.sent_at,
            attempts=row.attempts,
        )
        await add_event(session, outbox, subjects.MAIL_OUTBOUND_SENT, event, correlation_id)

        sent_total.inc()
        log.info("outbound message sent", attempts=row.attempts)
        return AttemptResult(DeliveryStatus.SENT, row.attempts)

    async def _fail(
        self,
        session: AsyncSession,
        row: OutboundDelivery,
        request: OutboundEmailRequested,
        error: str,
        correlation_id: str,
    ) -> AttemptResult:
        row.status = DeliveryStatus.FAILED.value
        row.last_error = error
        event = OutboundEmailFailed(
            ticket_id=request.ticket_id,
            interaction_id=request.interaction_id,
            message_id=request.message_id,
            error=error,
            attempts=row.attempts,
        )
        await add_event(session, outbox, subjects.MAIL_OUTBOUND_FAILED, event, correlation_id)

        failed_total.inc()
        log.error("outbound message failed", attempts=row.attempts, error=error)
        return AttemptResult(DeliveryStatus.FAILED, row.attempts)


async def _locked_delivery(
    session: AsyncSession, request: OutboundEmailRequested
) -> OutboundDelivery:
    """Create the delivery row of the request if missing, and lock it for this attempt."""
    await session.execute(
        insert(OutboundDelivery)
        .values(
            interaction_id=request.interaction_id,
            ticket_id=request.ticket_id,
            message_id=request.message_id,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=[OutboundDelivery.interaction_id])
    )
    row = await session.get(
        OutboundDelivery, request.interaction_id, with_for_update=True, populate_existing=True
    )
    if row is None:
        raise LookupError(f"no delivery row for interaction {request.interaction_id}")
    return row


def register_outbound_consumer(runtime: ServiceRuntime, deliverer: OutboundDeliverer) -> None:
    """Subscribe the deliverer to outbound requests with the gateway's durable consumer."""
    subscribe_durable(
        runtime.broker,
        lambda: runtime.js,
        subject=subjects.MAIL_OUTBOUND_REQUESTED,
        stream=streams.MAIL.name,
        durable=OUTBOUND_CONSUMER,
        message_type=OutboundEmailRequested,
        handler=deliverer.handle,
        max_attempts=deliverer.max_attempts + EXTRA_CONSUMER_DELIVERIES,
    )
