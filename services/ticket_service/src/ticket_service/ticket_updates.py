"""Agent changes to a ticket's status, priority, assignment and classification.

`apply_changes` sets the fields and writes their audit entries; `announce_changes`
emits the events and SYSTEM interactions. PATCH, the assignee and tag endpoints, bulk
changes and routing rules all go through these two steps.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from msgspec import UNSET, UnsetType
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import TicketPriority, TicketStatus
from helpdesk_runtime.logging import get_logger
from ticket_service import events
from ticket_service.agents import check_assignable
from ticket_service.audit import note_assignment, note_status_change, record_audit
from ticket_service.classification import check_category, normalize_agents, normalize_tags
from ticket_service.lifecycle import check_agent_transition, set_status
from ticket_service.models import Ticket
from ticket_service.preconditions import IfMatch
from ticket_service.teams import check_team
from ticket_service.tickets import lock_ticket, record_change, utc_now

log = get_logger(__name__)


@dataclass(frozen=True)
class FieldChanges:
    """Field changes to apply to one ticket.

    None (for status, priority and the replacing lists) or UNSET (for team and category,
    where None clears the field) leaves a field as it is. `assigned_to` and `tags` replace
    the whole list; `add_*` and `remove_assignees` change single entries and keep others.
    """

    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    assigned_to: Sequence[str] | None = None
    add_assignees: Sequence[str] = ()
    remove_assignees: Sequence[str] = ()
    assigned_team: str | UnsetType | None = UNSET
    tags: Sequence[str] | None = None
    add_tags: Sequence[str] = ()
    category: str | UnsetType | None = UNSET


@dataclass
class AppliedChanges:
    """The result of `apply_changes`: previous values and the names of changed fields."""

    from_status: TicketStatus | None = None
    from_priority: TicketPriority | None = None
    previous_assignees: list[str] | None = None
    classification_fields: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        """Whether at least one field changed."""
        return (
            self.from_status is not None
            or self.from_priority is not None
            or bool(self.classification_fields)
        )


@dataclass(frozen=True)
class TicketChanges:
    """A change request for one ticket as the API received it."""

    ticket_id: uuid.UUID
    fields: FieldChanges
    actor: str
    if_match: IfMatch | None
    correlation_id: str


async def update_ticket(session: AsyncSession, changes: TicketChanges) -> Ticket:
    """Apply the changes and announce them; the caller commits.

    Setting a field to its current value changes nothing and emits no event.
    """
    ticket, _ = await change_ticket(session, changes)
    return ticket


async def change_ticket(session: AsyncSession, changes: TicketChanges) -> tuple[Ticket, bool]:
    """Apply the changes as `update_ticket` does; also return whether any field changed."""
    ticket = await lock_ticket(session, changes.ticket_id)
    if changes.if_match is not None:
        changes.if_match.check(ticket.version)

    now = utc_now()
    applied = await apply_changes(session, ticket, changes.fields, changes.actor, now)
    if not applied.any:
        return ticket, False

    record_change(ticket, now)
    await session.flush()
    await announce_changes(session, ticket, applied, changes.actor, changes.correlation_id)

    log.info(
        "ticket updated",
        ticket_id=str(ticket.id),
        status=ticket.status.value,
        priority=ticket.priority.value,
        changed=applied.classification_fields,
        version=ticket.version,
        actor=changes.actor,
    )
    return ticket, True


async def apply_changes(
    session: AsyncSession, ticket: Ticket, changes: FieldChanges, actor: str, now: datetime
) -> AppliedChanges:
    """Set the changed fields of a locked ticket and add their audit entries.

    Raises `InvalidTransitionError`, `UnknownCategoryError`, `UnknownAgentError` or
    `UnknownTeamError` before changing anything. Only newly assigned agents and a new team
    are checked, so a ticket keeps an agent who was deactivated after the assignment.
    """
    if changes.status is not None and changes.status is not ticket.status:
        check_agent_transition(ticket.status, changes.status)
    if isinstance(changes.category, str):
        await check_category(session, changes.category)
    assignees = _new_assignees(ticket.assigned_to, changes)
    await check_assignable(
        session, [agent for agent in assignees if agent not in ticket.assigned_to]
    )
    if isinstance(changes.assigned_team, str) and changes.assigned_team != ticket.assigned_team:
        await check_team(session, changes.assigned_team, "$.assigned_team")

    applied = AppliedChanges()
    if changes.status is not None and changes.status is not ticket.status:
        applied.from_status = set_status(ticket, changes.status, now)

    if changes.priority is not None and changes.priority is not ticket.priority:
        applied.from_priority = ticket.priority
        ticket.priority = changes.priority
        record_audit(
            session, ticket.id, actor, "priority", applied.from_priority, ticket.priority, now
        )

    if assignees != list(ticket.assigned_to):
        applied.previous_assignees = list(ticket.assigned_to)
        _set(session, ticket, "assigned_to", assignees, actor, now, applied)

    if not isinstance(changes.assigned_team, UnsetType):
        _set(session, ticket, "assigned_team", changes.assigned_team, actor, now, applied)

    tags = _new_tags(ticket.tags, changes)
    if tags != list(ticket.tags):
        _set(session, ticket, "tags", tags, actor, now, applied)

    if not isinstance(changes.category, UnsetType):
        _set(session, ticket, "category", changes.category, actor, now, applied)
    return applied


async def announce_changes(
    session: AsyncSession, ticket: Ticket, applied: AppliedChanges, actor: str, correlation_id: str
) -> None:
    """Emit the events of applied changes and narrate status and assignee changes."""
    if applied.from_status is not None:
        await events.status_changed(session, ticket, applied.from_status, actor, correlation_id)
        await note_status_change(
            session, ticket, applied.from_status, actor, ticket.updated_at, correlation_id
        )
    if applied.from_priority is not None:
        await events.priority_changed(session, ticket, applied.from_priority, actor, correlation_id)
    if applied.classification_fields:
        await events.fields_changed(
            session, ticket, applied.classification_fields, actor, correlation_id
        )
    if applied.previous_assignees is not None:
        await note_assignment(session, ticket, applied.previous_assignees, actor, correlation_id)


def _new_assignees(current: Sequence[str], changes: FieldChanges) -> list[str]:
    base = current if changes.assigned_to is None else changes.assigned_to
    removed = set(normalize_agents(changes.remove_assignees))
    kept = normalize_agents([*base, *changes.add_assignees])
    return [agent for agent in kept if agent not in removed]


def _new_tags(current: Sequence[str], changes: FieldChanges) -> list[str]:
    base = current if changes.tags is None else changes.tags
    return normalize_tags([*base, *changes.add_tags])


def _set(
    session: AsyncSession,
    ticket: Ticket,
    name: str,
    value: object,
    actor: str,
    now: datetime,
    applied: AppliedChanges,
) -> None:
    old_value = getattr(ticket, name)
    if old_value == value:
        return
    setattr(ticket, name, value)
    record_audit(session, ticket.id, actor, name, old_value, value, now)
    applied.classification_fields.append(name)
