"""Applying one change to many tickets, each in its own transaction.

One ticket's failure (not found, stale version, a status change the lifecycle does
not allow) is reported for that ticket and does not undo the changes to the others.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.logging import get_logger
from ticket_service.errors import TicketError
from ticket_service.preconditions import IfMatch, etag
from ticket_service.ticket_updates import FieldChanges, TicketChanges, change_ticket

log = get_logger(__name__)


@dataclass(frozen=True)
class BulkTarget:
    """A ticket to change; `version`, when given, must be its current version."""

    ticket_id: uuid.UUID
    version: int | None = None


@dataclass(frozen=True)
class BulkOutcome:
    """The result for one ticket: the new version, or the error that stopped the change."""

    ticket_id: uuid.UUID
    changed: bool
    version: int | None = None
    error: TicketError | None = None


async def apply_to_many(
    sessions: async_sessionmaker[AsyncSession],
    targets: list[BulkTarget],
    fields: FieldChanges,
    actor: str,
    correlation_id: str,
) -> list[BulkOutcome]:
    """Apply `fields` to each ticket in turn and return one outcome per ticket, in order."""
    outcomes = []
    for target in targets:
        outcomes.append(await _apply_one(sessions, target, fields, actor, correlation_id))

    failed = sum(1 for outcome in outcomes if outcome.error is not None)
    log.info("bulk change applied", tickets=len(targets), failed=failed, actor=actor)
    return outcomes


async def _apply_one(
    sessions: async_sessionmaker[AsyncSession],
    target: BulkTarget,
    fields: FieldChanges,
    actor: str,
    correlation_id: str,
) -> BulkOutcome:
    changes = TicketChanges(
        ticket_id=target.ticket_id,
        fields=fields,
        actor=actor,
        if_match=IfMatch(etag(target.version)) if target.version is not None else None,
        correlation_id=correlation_id,
    )
    try:
        async with unit_of_work(sessions) as session:
            ticket, changed = await change_ticket(session, changes)
            version = ticket.version
    except TicketError as exc:
        log.info("bulk change skipped a ticket", ticket_id=str(target.ticket_id), error=str(exc))
        return BulkOutcome(ticket_id=target.ticket_id, changed=False, error=exc)
    return BulkOutcome(ticket_id=target.ticket_id, changed=changed, version=version)
