"""Closing Resolved tickets that stayed Resolved for `auto_close_days`.

Every replica runs the job. Each pass locks its batch with FOR UPDATE SKIP LOCKED, so
two replicas never pick the same ticket, and a ticket reopened meanwhile is no longer
Resolved when the lock is granted to the other transaction, so it stays open.
"""

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_contracts.enums import TicketStatus
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.messaging import new_correlation_id
from ticket_service import events
from ticket_service.audit import SYSTEM_AUTHOR, note_status_change
from ticket_service.lifecycle import set_status
from ticket_service.models import Ticket
from ticket_service.tickets import record_change, utc_now

log = get_logger(__name__)

AUTO_CLOSE_BATCH_SIZE = 100


async def run_auto_close(
    sessions: async_sessionmaker[AsyncSession], resolved_for: timedelta, interval_seconds: float
) -> None:
    """Close expired Resolved tickets every `interval_seconds` until cancelled.

    An error ends the job, and the runtime logs it and restarts the job.
    """
    while True:
        await close_expired_tickets(sessions, resolved_for)
        await asyncio.sleep(interval_seconds)


async def close_expired_tickets(
    sessions: async_sessionmaker[AsyncSession], resolved_for: timedelta
) -> int:
    """Close every ticket Resolved for at least `resolved_for`; return how many."""
    closed = 0
    while True:
        batch = await _close_batch(sessions, resolved_for)
        closed += batch
        if batch < AUTO_CLOSE_BATCH_SIZE:
            return closed


async def _close_batch(sessions: async_sessionmaker[AsyncSession], resolved_for: timedelta) -> int:
    correlation_id = new_correlation_id()
    async with unit_of_work(sessions) as session:
        now = utc_now()
        expired = list(
            await session.scalars(
                select(Ticket)
                .where(Ticket.status == TicketStatus.RESOLVED)
                .where(Ticket.resolved_at <= now - resolved_for)
                .order_by(Ticket.resolved_at)
                .limit(AUTO_CLOSE_BATCH_SIZE)
                .with_for_update(skip_locked=True)
            )
        )
        for ticket in expired:
            await _close(session, ticket, correlation_id)
    return len(expired)


async def _close(session: AsyncSession, ticket: Ticket, correlation_id: str) -> None:
    now = utc_now()
    from_status = set_status(ticket, TicketStatus.CLOSED, now)
    record_change(ticket, now)
    await session.flush()

    await events.status_changed(session, ticket, from_status, SYSTEM_AUTHOR, correlation_id)
    await note_status_change(session, ticket, from_status, SYSTEM_AUTHOR, now, correlation_id)
    log.info(
        "resolved ticket closed automatically",
        ticket_id=str(ticket.id),
        number=ticket.number,
        resolved_at=ticket.resolved_at.isoformat() if ticket.resolved_at else None,
    )
