"""The audit history of tickets and the SYSTEM interactions that narrate it.

Every change of a ticket field writes one `AuditEntry` in the transaction of the change.
Status changes, assignments and merges also append a SYSTEM interaction, which customers
never see (see `helpdesk_contracts.visibility`), so the ticket's timeline shows them.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import InteractionType, TicketStatus
from ticket_service import events
from ticket_service.interactions import new_interaction
from ticket_service.models import AuditEntry, Ticket
from ticket_service.tickets import utc_now

SYSTEM_AUTHOR = "system"


def json_value(value: Any) -> Any:
    """Return `value` in the JSON form stored in the audit history."""
    return msgspec.to_builtins(value)


def record_audit(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    actor: str,
    field: str,
    old_value: Any,
    new_value: Any,
    now: datetime,
) -> None:
    """Add the audit entry of one changed field; the caller flushes and commits."""
    session.add(
        AuditEntry(
            id=uuid.uuid4(),
            ticket_id=ticket_id,
            actor=actor,
            field=field,
            old_value=json_value(old_value),
            new_value=json_value(new_value),
            at=now,
        )
    )


def snapshot(ticket: Ticket, fields: Sequence[str]) -> dict[str, Any]:
    """Return the current values of the named fields, to compare after a change."""
    return {name: json_value(getattr(ticket, name)) for name in fields}


def record_changed_fields(
    session: AsyncSession, ticket: Ticket, before: dict[str, Any], actor: str, now: datetime
) -> None:
    """Add an audit entry for each field whose value differs from the snapshot `before`."""
    after = snapshot(ticket, list(before))
    record_differences(session, ticket.id, before, after, actor, now)


def record_differences(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    before: dict[str, Any],
    after: dict[str, Any],
    actor: str,
    now: datetime,
) -> None:
    """Add an audit entry for each field whose value differs between two snapshots."""
    for name, old_value in before.items():
        if after[name] != old_value:
            record_audit(session, ticket_id, actor, name, old_value, after[name], now)


async def audit_of(session: AsyncSession, ticket_id: uuid.UUID) -> list[AuditEntry]:
    """Return the ticket's audit history, oldest first."""
    result = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.ticket_id == ticket_id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(result)


async def add_system_interaction(
    session: AsyncSession, ticket: Ticket, text: str, correlation_id: str
) -> None:
    """Append a SYSTEM interaction to a locked ticket and announce it.

    It does not count as another change of the ticket: the change it narrates already
    raised the version. Its time is read anew, so it sorts after an interaction that
    caused it in the same transaction.
    """
    interaction = new_interaction(
        ticket.id, InteractionType.SYSTEM, author=SYSTEM_AUTHOR, text_body=text, now=utc_now()
    )
    session.add(interaction)
    await session.flush()
    await events.interaction_added(session, ticket, interaction, correlation_id)


async def note_status_change(
    session: AsyncSession,
    ticket: Ticket,
    from_status: TicketStatus,
    actor: str,
    now: datetime,
    correlation_id: str,
) -> None:
    """Record a status change in the audit history and as a SYSTEM interaction."""
    record_audit(session, ticket.id, actor, "status", from_status, ticket.status, now)
    text = f"Status changed from {from_status.value} to {ticket.status.value} by {actor}."
    await add_system_interaction(session, ticket, text, correlation_id)


async def note_assignment(
    session: AsyncSession,
    ticket: Ticket,
    before: Sequence[str],
    actor: str,
    correlation_id: str,
) -> None:
    """Narrate a change of the assignees as a SYSTEM interaction (audited by the caller)."""
    added = [agent for agent in ticket.assigned_to if agent not in before]
    removed = [agent for agent in before if agent not in ticket.assigned_to]
    parts = []
    if added:
        parts.append(f"assigned to {', '.join(added)}")
    if removed:
        parts.append(f"unassigned from {', '.join(removed)}")
    text = f"Ticket {' and '.join(parts)} by {actor}."
    await add_system_interaction(session, ticket, text, correlation_id)
