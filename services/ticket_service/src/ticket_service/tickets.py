"""Loading, locking and recording changes to tickets; callers own the transaction."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ticket_service.errors import TicketNotFoundError
from ticket_service.models import Ticket


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


async def get_ticket(session: AsyncSession, ticket_id: uuid.UUID) -> Ticket:
    """Return the ticket, or raise `TicketNotFoundError`."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFoundError(ticket_id)
    return ticket


async def get_ticket_by_number(session: AsyncSession, number: int) -> Ticket:
    """Return the ticket with this number, or raise `TicketNotFoundError`."""
    ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None:
        raise TicketNotFoundError(number)
    return ticket


async def lock_ticket(session: AsyncSession, ticket_id: uuid.UUID) -> Ticket:
    """Return the ticket locked until the transaction ends, or raise `TicketNotFoundError`.

    Every change takes this row lock first, so concurrent changes to one ticket apply
    one after the other and each reads the version the previous one wrote.
    """
    ticket = await session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
    if ticket is None:
        raise TicketNotFoundError(ticket_id)
    return ticket


def record_change(ticket: Ticket, now: datetime) -> None:
    """Count one more change of the ticket: its version grows by one."""
    ticket.version += 1
    ticket.updated_at = now
