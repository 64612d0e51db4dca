"""Accepting one inbound message: store the raw bytes, parse, keep attachments, publish.

The order makes acceptance durable. The raw bytes are committed before anything else
can fail, so a message is never lost once it is stored. A message that cannot be parsed,
or that the help desk sent itself, is quarantined with the reason instead of being
rejected. The event is published to
JetStream with a `Nats-Msg-Id` derived from the Message-ID, and the caller accepts the
message (SMTP 250) only after JetStream acknowledged it. When the publish fails, the row
stays `received`: a client retry with the same bytes finds it again, and the
republisher publishes it after a while if no retry comes.

Two kinds of message are taken in without being published as inbound mail. A bounce
(a delivery status notification) is matched to the outbound delivery it reports (see
`bounces`). A message over its sender's rate limit (see `sender_rate_limit`) is
quarantined with a reason that starts with "rate limit".
"""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta

import msgspec
from nats.js.api import PubAck

from email_gateway.attachment_limits import AttachmentLimits, within_limits
from email_gateway.bounces import record_bounce
from email_gateway.inbound_event import (
    HEADER_ALLOWANCE_BYTES,
    EventTooLargeError,
    build_event,
    deduplication_id,
    fit_event,
)
from email_gateway.loops import sent_ticket_id
from email_gateway.models import RawStatus
from email_gateway.parsing import ParsedEmail, UnparseableEmail, parse_email
from email_gateway.parsing.delivery_status import DeliveryReport, read_delivery_report
from email_gateway.raw_store import (
    StoredRaw,
    mark_bounce,
    mark_published,
    mark_quarantined,
    published_by_another,
    record_message_id,
    store_raw,
)
from email_gateway.sender_rate_limit import admit_sender_message
from helpdesk_contracts import subjects
from helpdesk_contracts.messages import AttachmentInfo
from helpdesk_runtime.blobs import BlobStorage
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.messaging import (
    PublishFailedError,
    encode,
    message_headers,
    publish_durably,
)
from helpdesk_runtime.metrics import counter
from helpdesk_runtime.service import ServiceRuntime

log = get_logger(__name__)

inbound_total = counter(
    "email_inbound_messages_total",
    "Inbound messages by outcome: published, duplicate, quarantined or repeated (same bytes).",
)
bounces_total = counter(
    "email_inbound_bounces_total", "Bounces taken in, by outcome: matched or unmatched."
)
rate_limited_total = counter(
    "email_inbound_rate_limited_total",
    "Inbound messages quarantined because their sender exceeded the rate limit.",
)
publish_failures_total = counter(
    "email_inbound_publish_failures_total",
    "Inbound messages stored but not acknowledged by JetStream; the client is asked to retry.",
)


@dataclass(frozen=True)
class InboundOutcome:
    """The outcome of one delivered message."""

    raw_id: uuid.UUID
    status: RawStatus
    message_id: str | None
    quarantine_reason: str | None = None


@dataclass(frozen=True)
class SenderRateLimit:
    """At most `max_messages` inbound messages per sender within `window`."""

    max_messages: int
    window: timedelta


class InboundPipeline:
    """The store, parse and publish steps, shared by every inbound entry point of the gateway."""

    def __init__(
        self,
        runtime: ServiceRuntime,
        blobs: BlobStorage,
        rate_limit: SenderRateLimit | None = None,
        attachment_limits: AttachmentLimits | None = None,
    ) -> None:
        self._runtime = runtime
        self._blobs = blobs
        self._rate_limit = rate_limit
        self._attachment_limits = attachment_limits

    async def receive(
        self, raw: bytes, envelope_from: str, envelope_recipients: list[str]
    ) -> InboundOutcome:
        """Accept one delivered message; raise PublishFailedError when it must be retried."""
        async with unit_of_work(self._runtime.sessions) as session:
            stored = await store_raw(session, raw, envelope_from, envelope_recipients)

        with bound_context(raw_message_id=stored.id):
            if stored.status is not RawStatus.RECEIVED:
                inbound_total.inc(outcome="repeated")
                log.info(
                    "inbound message already handled",
                    message_id=stored.message_id,
                    status=stored.status.value,
                )
                return _outcome_of(stored)

            return await self.process(stored)

    async def process(self, stored: StoredRaw) -> InboundOutcome:
        """Parse, store attachments and publish a stored message that is still `received`."""
        with bound_context(raw_message_id=stored.id):
            try:
                parsed = await asyncio.to_thread(parse_email, stored.raw)
            except UnparseableEmail as exc:
                return await self._quarantine(stored, exc.reason, message_id=None)

            diverted = await self._divert(stored, parsed)
            if diverted is not None:
                return diverted

            parsed = self._limit_attachments(parsed)
            attachments = await asyncio.to_thread(self._store_attachments, parsed)
            max_bytes = self._runtime.nats.max_payload - HEADER_ALLOWANCE_BYTES
            try:
                event = fit_event(build_event(parsed, stored, attachments), max_bytes)
                payload = encode(event)
            except EventTooLargeError as exc:
                return await self._quarantine(stored, str(exc), message_id=parsed.message_id)
            except (msgspec.EncodeError, UnicodeError) as exc:
                reason = f"the parsed message cannot be encoded as an event: {exc}"
                return await self._quarantine(stored, reason, message_id=parsed.message_id)

            try:
                ack = await publish_durably(
                    self._runtime.js,
                    subjects.MAIL_INBOUND_RECEIVED,
                    payload,
                    message_headers(deduplication_id(parsed.message_id), str(stored.id)),
                )
            except PublishFailedError:
                await self._keep_message_id(stored, parsed.message_id)
                publish_failures_total.inc()
                log.warning("inbound message publish failed", message_id=parsed.message_id)
                raise

            status = await self._record_publication(stored, parsed.message_id, ack)
            inbound_total.inc(outcome=status.value)
            log.info(
                "inbound message published",
                message_id=parsed.message_id,
                status=status.value,
                size=len(stored.raw),
                attachments=len(attachments),
                parse_warnings=len(event.parse_warnings),
                stream_sequence=ack.seq,
            )
            return InboundOutcome(raw_id=stored.id, status=status, message_id=parsed.message_id)

    async def _divert(self, stored: StoredRaw, parsed: ParsedEmail) -> InboundOutcome | None:
        """Take in bounces, own mail and mail over the rate limit without publishing it."""
        try:
            report = await asyncio.to_thread(read_delivery_report, stored.raw)
        except Exception:
            # A bug in reading the report must not make the client retry forever, so
            # the message goes on as ordinary mail, flagged as automatic by the parser.
            log.exception("reading the delivery report failed", message_id=parsed.message_id)
            report = None
        if report is not None:
            return await self._take_bounce(stored, parsed, report)

        ticket_id = sent_ticket_id(stored.raw, parsed.message_id)
        if ticket_id is not None:
            reason = f"the help desk sent this message itself, for ticket {ticket_id}"
            return await self._quarantine(stored, reason, message_id=parsed.message_id)

        rate_limit_reason = await self._exceeded_rate_limit(stored, parsed)
        if rate_limit_reason is not None:
            rate_limited_total.inc()
            return await self._quarantine(stored, rate_limit_reason, message_id=parsed.message_id)
        return None

    async def _take_bounce(
        self, stored: StoredRaw, parsed: ParsedEmail, report: DeliveryReport
    ) -> InboundOutcome:
        async with unit_of_work(self._runtime.sessions) as session:
            match = await record_bounce(session, report, stored.id, str(stored.id))
            status = RawStatus.BOUNCE if match is not None else RawStatus.BOUNCE_UNMATCHED
            await mark_bounce(session, stored.id, status, parsed.message_id)

        bounces_total.inc(outcome="matched" if match is not None else "unmatched")
        if match is None:
            log.warning(
                "bounce matched no outbound delivery",
                message_id=parsed.message_id,
                returned_message_ids=list(report.message_ids),
            )
        else:
            log.info(
                "bounce recorded",
                message_id=parsed.message_id,
                ticket_id=match.delivery.ticket_id,
                interaction_id=match.delivery.interaction_id,
                outbound_message_id=match.delivery.message_id,
                recipients=[event.recipient for event in match.events],
            )
        return InboundOutcome(raw_id=stored.id, status=status, message_id=parsed.message_id)

    async def _exceeded_rate_limit(self, stored: StoredRaw, parsed: ParsedEmail) -> str | None:
        """Count the message against its sender; return the quarantine reason when over."""
        limit = self._rate_limit
        if limit is None or limit.max_messages <= 0:
            return None

        async with unit_of_work(self._runtime.sessions) as session:
            admitted = await admit_sender_message(
                session,
                stored.id,
                parsed.sender.address,
                stored.received_at,
                limit.max_messages,
                limit.window,
            )
        if admitted:
            return None
        return (
            f"rate limit: {parsed.sender.address} sent more than {limit.max_messages} "
            f"messages within {limit.window.total_seconds():g} seconds"
        )

    def _limit_attachments(self, parsed: ParsedEmail) -> ParsedEmail:
        if self._attachment_limits is None:
            return parsed

        accepted, rejections = within_limits(parsed.attachments, self._attachment_limits)
        if not rejections:
            return parsed
        log.warning("attachments rejected", message_id=parsed.message_id, reasons=rejections)
        return msgspec.structs.replace(
            parsed, attachments=tuple(accepted), warnings=(*parsed.warnings, *rejections)
        )

    def _store_attachments(self, parsed: ParsedEmail) -> tuple[AttachmentInfo, ...]:
        stored: list[AttachmentInfo] = []
        for attachment in parsed.attachments:
            sha256 = self._blobs.put(attachment.content)
            stored.append(
                AttachmentInfo(
                    filename=attachment.filename,
                    content_type=attachment.content_type,
                    size=len(attachment.content),
                    sha256=sha256,
                    content_id=attachment.content_id,
                    inline=attachment.inline,
                )
            )
        return tuple(stored)

    async def _quarantine(
        self, stored: StoredRaw, reason: str, message_id: str | None
    ) -> InboundOutcome:
        async with unit_of_work(self._runtime.sessions) as session:
            await mark_quarantined(session, stored.id, reason, message_id)

        inbound_total.inc(outcome=RawStatus.QUARANTINED.value)
        log.warning("inbound message quarantined", message_id=message_id, reason=reason)
        return InboundOutcome(
            raw_id=stored.id,
            status=RawStatus.QUARANTINED,
            message_id=message_id,
            quarantine_reason=reason,
        )

    async def _record_publication(
        self, stored: StoredRaw, message_id: str, ack: PubAck
    ) -> RawStatus:
        async with unit_of_work(self._runtime.sessions) as session:
            # JetStream also reports a duplicate when this very row was published before
            # and only the status update was lost, so `duplicate` needs another row.
            status = RawStatus.PUBLISHED
            if ack.duplicate and await published_by_another(session, stored.id, message_id):
                status = RawStatus.DUPLICATE
            await mark_published(session, stored.id, message_id, status)
        return status

    async def _keep_message_id(self, stored: StoredRaw, message_id: str) -> None:
        try:
            async with unit_of_work(self._runtime.sessions) as session:
                await record_message_id(session, stored.id, message_id)
        except Exception:
            # Only a diagnostic: the row is still `received` and is published later.
            log.exception("could not record the Message-ID", message_id=message_id)


def _outcome_of(stored: StoredRaw) -> InboundOutcome:
    return InboundOutcome(
        raw_id=stored.id,
        status=stored.status,
        message_id=stored.message_id,
        quarantine_reason=stored.quarantine_reason,
    )
