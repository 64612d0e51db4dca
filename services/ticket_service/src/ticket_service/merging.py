"""Merging a duplicate ticket into another.

The source's interactions and indexed Message-IDs move to the target, so later replies
to any message of the source thread onto the target. The source keeps its audit
history, is Closed and points at the target through `merged_into`; both tickets get a
SYSTEM interaction and an audit entry. The target also gains the source's contacts, and
its requester and Cc'd people as Cc recipients.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import TicketStatus
from helpdesk_runtime.logging import get_logger
from ticket_service import events
from ticket_service.audit import add_system_interaction, note_status_change, record_audit
from ticket_service.errors import MergeNotAllowedError, MergeTargetNotFoundError
from ticket_service.lifecycle import set_status
from ticket_service.models import IndexedMessageId, Interaction, Ticket
from ticket_service.participants import merge_cc_recipients
from ticket_service.preconditions import IfMatch
from ticket_service.tickets import lock_ticket, record_change, utc_now

log = get_logger(__name__)


@dataclass(frozen=True)
class MergeRequest:
    """Merge `ticket_id` into `into_id`; If-Match applies to the source ticket."""

    ticket_id: uuid.UUID
    into_id: uuid.UUID
    actor: str
    if_match: IfMatch | None
    correlation_id: str


async def merge_ticket(session: AsyncSession, request: MergeRequest) -> tuple[Ticket, Ticket]:
    """Merge the source into the target and announce it; return (source, target).

    Raises `MergeNotAllowedError` for a merge into itself, of a Closed or merged source,
    or into a Closed target. The caller commits.
    """
    if request.ticket_id == request.into_id:
        raise MergeNotAllowedError("A ticket cannot be merged into itself.")
    if await session.get(Ticket, request.into_id) is None:
        raise MergeTargetNotFoundError(request.into_id)
    source, target = await _lock_pair(session, request.ticket_id, request.into_id)
    if request.if_match is not None:
        request.if_match.check(source.version)
    _check_mergeable(source, target)

    now = utc_now()
    await _move_records(session, source.id, target.id)
    target_contacts = list(target.contact_ids)
    target.contact_ids = [
        *target_contacts,
        *(c for c in source.contact_ids if c not in target_contacts),
    ]
    if target.contact_ids != target_contacts:
        record_audit(
            session,
            target.id,
            request.actor,
            "contact_ids",
            target_contacts,
            target.contact_ids,
            now,
        )

    cc_before = list(target.cc_recipients)
    if merge_cc_recipients(source, target):
        record_audit(
            session, target.id, request.actor, "cc_recipients", cc_before, target.cc_recipients, now
        )

    from_status = set_status(source, TicketStatus.CLOSED, now)
    source.merged_into = target.id
    record_audit(session, source.id, request.actor, "merged_into", None, target.id, now)
    record_audit(session, target.id, request.actor, "merged_from", None, source.id, now)
    record_change(source, now)
    record_change(target, now)
    await session.flush()

    await _announce(session, source, target, from_status, request)
    log.info(
        "ticket merged",
        ticket_id=str(source.id),
        into_ticket_id=str(target.id),
        actor=request.actor,
    )
    return source, target


async def _lock_pair(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID
) -> tuple[Ticket, Ticket]:
    # Both merges of a pair lock in the same (id) order, so two merges of the same pair
    # in opposite directions wait for each other instead of deadlocking.
    locked = {}
    for ticket_id in sorted((source_id, target_id)):
        locked[ticket_id] = await lock_ticket(session, ticket_id)
    return locked[source_id], locked[target_id]


def _check_mergeable(source: Ticket, target: Ticket) -> None:
    if source.merged_into is not None:
        raise MergeNotAllowedError(f"Ticket #{source.number} is already merged into another.")
    if source.status is TicketStatus.CLOSED:
        raise MergeNotAllowedError(f"Ticket #{source.number} is Closed and cannot be merged.")
    if target.status is TicketStatus.CLOSED:
        raise MergeNotAllowedError(f"Ticket #{target.number} is Closed; merge into an open one.")


def _add_contacts(
    session: AsyncSession, source: Ticket, target: Ticket, actor: str, now: datetime
) -> None:
    before = list(target.contact_ids)
    added = [contact for contact in source.contact_ids if contact not in before]
    if added:
        target.contact_ids = [*before, *added]
        record_audit(session, target.id, actor, "contact_ids", before, target.contact_ids, now)


async def _move_records(session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID) -> None:
    await session.execute(
        update(Interaction).where(Interaction.ticket_id == source_id).values(ticket_id=target_id)
    )
    await session.execute(
        update(IndexedMessageId)
        .where(IndexedMessageId.ticket_id == source_id)
        .values(ticket_id=target_id)
    )


async def _announce(
    session: AsyncSession,
    source: Ticket,
    target: Ticket,
    from_status: TicketStatus,
    request: MergeRequest,
) -> None:
    actor = request.actor
    correlation_id = request.correlation_id
    await events.status_changed(session, source, from_status, actor, correlation_id)
    await events.ticket_merged(session, source, target, actor, correlation_id)
    await note_status_change(session, source, from_status, actor, source.updated_at, correlation_id)
    await add_system_interaction(
        session, source, f"Merged into ticket #{target.number} by {actor}.", correlation_id
    )
    await add_system_interaction(
        session,
        target,
        f"Ticket #{source.number} merged into this ticket by {actor}.",
        correlation_id,
    )
