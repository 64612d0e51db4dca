"""Linking a ticket to the sender's contact and customer through customer_service.

A new email ticket requests its sender's contact from customer_service (core NATS
request/reply on `customer.rpc.resolve_contact`) before it is committed. When
customer_service does not reply within the timeout, replies with an error, or has no
running replica, the ticket is still created with `enrichment_pending` set. Then
`run_enrichment_retries` fills in the contact and customer later and announces them
with `TicketEnriched`.
"""

import asyncio
import uuid
from collections.abc import Callable

import msgspec
import nats.errors
from nats.aio.client import Client as NatsClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_contracts import subjects
from helpdesk_contracts.enums import InteractionType
from helpdesk_contracts.messages import ErrorReply, ResolveContactReply, ResolveContactRequest
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.messaging import HEADER_CORRELATION_ID, encode, new_correlation_id
from ticket_service import events
from ticket_service.audit import SYSTEM_AUTHOR, record_changed_fields, snapshot
from ticket_service.models import Interaction, Ticket
from ticket_service.tickets import record_change, utc_now

log = get_logger(__name__)

RETRY_BATCH_SIZE = 50

# The ticket fields a resolve reply sets, audited when a retry fills them in.
CUSTOMER_FIELDS = (
    "contact_ids",
    "primary_contact_id",
    "customer_id",
    "customer_name",
    "customer_tier",
)


class ContactServiceUnavailableError(Exception):
    """Raised when customer_service did not reply: timeout, no responders or no connection."""


class ContactResolutionFailedError(Exception):
    """Raised when customer_service replied with an error or an unreadable message."""


class ContactResolver:
    """Asks customer_service for the contact behind a sender address."""

    def __init__(self, nats_client: Callable[[], NatsClient], timeout_seconds: float) -> None:
        self._nats_client = nats_client
        self._timeout_seconds = timeout_seconds

    async def resolve(
        self, address: str, display_name: str, correlation_id: str
    ) -> ResolveContactReply:
        """Return the contact and customer of `address`, or raise one of the errors above."""
        request = ResolveContactRequest(address=address, display_name=display_name)
        try:
            response = await self._nats_client().request(
                subjects.CUSTOMER_RESOLVE_CONTACT,
                encode(request),
                timeout=self._timeout_seconds,
                headers={HEADER_CORRELATION_ID: correlation_id},
            )
        except (nats.errors.Error, TimeoutError) as exc:
            raise ContactServiceUnavailableError(
                f"customer_service did not resolve {address}: {exc!r}"
            ) from exc

        return _decode_reply(response.data, address)


def _decode_reply(data: bytes, address: str) -> ResolveContactReply:
    try:
        return msgspec.json.decode(data, type=ResolveContactReply)
    except msgspec.ValidationError:
        pass

    try:
        error = msgspec.json.decode(data, type=ErrorReply).error
    except msgspec.DecodeError:
        error = f"unreadable reply of {len(data)} bytes"
    raise ContactResolutionFailedError(f"customer_service could not resolve {address}: {error}")


def apply_contact(ticket: Ticket, reply: ResolveContactReply) -> None:
    """Set the ticket's contact and customer fields from a resolve reply."""
    if reply.contact_id not in ticket.contact_ids:
        ticket.contact_ids = [*ticket.contact_ids, reply.contact_id]
    if ticket.primary_contact_id is None:
        ticket.primary_contact_id = reply.contact_id

    ticket.customer_id = reply.customer_id
    ticket.customer_name = reply.customer_name
    ticket.customer_tier = reply.customer_tier
    ticket.enrichment_pending = False


async def enrich_new_ticket(
    ticket: Ticket, resolver: ContactResolver, display_name: str, correlation_id: str
) -> None:
    """Fill in a new ticket's contact and customer, or mark it for a later retry."""
    address = ticket.source_email or ""
    try:
        reply = await resolver.resolve(address, display_name, correlation_id)
    except (ContactServiceUnavailableError, ContactResolutionFailedError) as exc:
        ticket.enrichment_pending = True
        log.warning("ticket created without contact, will retry", error=str(exc))
        return

    apply_contact(ticket, reply)
    log.info(
        "sender resolved",
        contact_id=str(reply.contact_id),
        customer_id=str(reply.customer_id) if reply.customer_id else None,
        match=reply.match.value,
    )


async def run_enrichment_retries(
    sessions: async_sessionmaker[AsyncSession],
    resolver: ContactResolver,
    interval_seconds: float,
) -> None:
    """Retry pending tickets every `interval_seconds` until cancelled."""
    while True:
        await retry_pending_enrichment(sessions, resolver)
        await asyncio.sleep(interval_seconds)


async def retry_pending_enrichment(
    sessions: async_sessionmaker[AsyncSession], resolver: ContactResolver
) -> int:
    """Resolve the senders of pending tickets, oldest first; return how many were filled in.

    A pass stops at the first ticket that customer_service does not reply for, because
    the others would only wait out the same timeout. A ticket whose sender cannot be
    resolved stays pending and is tried again on the next pass.
    """
    async with sessions() as session:
        pending_ids = list(
            await session.scalars(
                select(Ticket.id)
                .where(Ticket.enrichment_pending)
                .order_by(Ticket.created_at)
                .limit(RETRY_BATCH_SIZE)
            )
        )

    enriched = 0
    for ticket_id in pending_ids:
        with bound_context(ticket_id=ticket_id):
            try:
                if await _retry_one(sessions, resolver, ticket_id):
                    enriched += 1
            except ContactServiceUnavailableError as exc:
                log.info("customer_service still unavailable, retrying later", error=str(exc))
                break
            except ContactResolutionFailedError as exc:
                # NOTE: a sender that can never be resolved is logged on every pass.
                log.warning("sender still not resolved, retrying later", error=str(exc))
    return enriched


async def _retry_one(
    sessions: async_sessionmaker[AsyncSession],
    resolver: ContactResolver,
    ticket_id: uuid.UUID,
) -> bool:
    correlation_id = new_correlation_id()
    async with unit_of_work(sessions) as session:
        # SKIP LOCKED lets replicas share the pending tickets without waiting on each other.
        ticket = await session.scalar(
            select(Ticket)
            .where(Ticket.id == ticket_id, Ticket.enrichment_pending)
            .with_for_update(skip_locked=True)
        )
        if ticket is None:
            return False

        display_name = await _sender_display_name(session, ticket_id)
        reply = await resolver.resolve(ticket.source_email or "", display_name, correlation_id)

        before = snapshot(ticket, CUSTOMER_FIELDS)
        now = utc_now()
        apply_contact(ticket, reply)
        record_changed_fields(session, ticket, before, SYSTEM_AUTHOR, now)
        record_change(ticket, now)
        await events.ticket_enriched(session, ticket, correlation_id)

    log.info(
        "pending ticket enriched",
        contact_id=str(reply.contact_id),
        customer_id=str(reply.customer_id) if reply.customer_id else None,
        version=ticket.version,
    )
    return True


async def _sender_display_name(session: AsyncSession, ticket_id: uuid.UUID) -> str:
    email_from = await session.scalar(
        select(Interaction.email_from)
        .where(Interaction.ticket_id == ticket_id)
        .where(Interaction.type == InteractionType.EMAIL_INBOUND)
        .order_by(Interaction.created_at)
        .limit(1)
    )
    if not email_from:
        return ""
    return str(email_from.get("name", ""))
