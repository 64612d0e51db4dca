"""Listing tickets newest first, with keyset pagination on (created_at, id).

A keyset position stays correct while new tickets arrive, where an offset would shift
the pages and show a ticket twice or skip one.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import TicketPriority, TicketStatus
from ticket_service.models import Ticket


@dataclass(frozen=True)
class TicketFilter:
    """The filter of a ticket list. An empty sequence or None matches every ticket."""

    statuses: Sequence[TicketStatus] = ()
    priorities: Sequence[TicketPriority] = ()
    customer_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Position:
    """The last ticket of the previous page."""

    created_at: datetime
    ticket_id: uuid.UUID


async def list_tickets(
    session: AsyncSession, ticket_filter: TicketFilter, limit: int, after: Position | None
) -> list[Ticket]:
    """Return up to `limit` tickets matching the filter, newest first, after `after`."""
    query = select(Ticket)
    if ticket_filter.statuses:
        query = query.where(Ticket.status.in_(ticket_filter.statuses))
    if ticket_filter.priorities:
        query = query.where(Ticket.priority.in_(ticket_filter.priorities))
    if ticket_filter.customer_id is not None:
        query = query.where(Ticket.customer_id == ticket_filter.customer_id)
    if after is not None:
        query = query.where(
            tuple_(Ticket.created_at, Ticket.id) < tuple_(after.created_at, after.ticket_id)
        )

    query = query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
    return list(await session.scalars(query))
