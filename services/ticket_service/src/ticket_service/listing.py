"""Listing tickets: filters, full-text search, sorting and keyset pagination.

Pagination is by keyset: a page continues after the (sort key, id) of the previous
page's last ticket. That stays correct while tickets arrive or change, where an offset
would shift the pages and show a ticket twice or skip one. The id breaks ties, so every
sort is a total order.

Tickets without a due date sort as if due at `NO_DUE_DATE`: last in ascending order,
first in descending order. Priority sorts by rank (Low < Medium < High < Urgent).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Uuid,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from helpdesk_contracts.enums import TicketPriority, TicketSource, TicketStatus
from ticket_service.models import Interaction, Ticket

# The text search configuration of the GIN expression indexes; a query must use the
# same expression, `to_tsvector('english'::regconfig, column)`, to be served by them.
_SEARCH_CONFIG: ColumnElement[str] = literal_column("'english'::regconfig")

NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=UTC)

# work_mem of a transaction that runs a text search; see `_conditions_with_text`.
SEARCH_WORK_MEM = "32MB"

# A text search with at most this many matching subjects and interactions filters by
# the ids of their tickets; see `_conditions_with_text`.
FEW_TEXT_MATCHES = 1_000

# NO_DUE_DATE and the statuses are written into the SQL as constants, not bound as
# parameters. PostgreSQL matches the partial expression indexes of the queue views
# (migration c3a9e1f40004) only against constants, so a cached generic plan of a
# parameterised query would not use them.
_NO_DUE_DATE_SQL: ColumnElement[datetime] = literal_column(
    "'9999-12-31 00:00:00+00'::timestamptz", DateTime(timezone=True)
)

PRIORITY_RANKS = {
    TicketPriority.LOW: 0,
    TicketPriority.MEDIUM: 1,
    TicketPriority.HIGH: 2,
    TicketPriority.URGENT: 3,
}


class SortField(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DUE_DATE = "due_date"
    PRIORITY = "priority"
    NUMBER = "number"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


@dataclass(frozen=True)
class TicketFilter:
    """The filter of a ticket list. An empty sequence or None matches every ticket.

    `tags` matches tickets that have all the given tags. `assignee` matches tickets
    assigned to that agent, among others. `unassigned` matches tickets with no assignee
    (True) or with at least one (False), and `sla_breached` tickets with (True) or
    without (False) a breach.
    Time bounds are inclusive for `*_after` and exclusive for `*_before`.
    """

    statuses: Sequence[TicketStatus] = ()
    priorities: Sequence[TicketPriority] = ()
    teams: Sequence[str] = ()
    assignee: str | None = None
    unassigned: bool | None = None
    tags: Sequence[str] = ()
    category: str | None = None
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    sources: Sequence[TicketSource] = ()
    sla_breached: bool | None = None
    due_after: datetime | None = None
    due_before: datetime | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    text: str | None = None


@dataclass(frozen=True)
class Sort:
    field: SortField = SortField.CREATED
    order: SortOrder = SortOrder.DESC


@dataclass(frozen=True)
class Position:
    """The sort key and id of the last ticket of the previous page."""

    key: Any
    ticket_id: uuid.UUID


def _priority_rank() -> ColumnElement[int]:
    return case(PRIORITY_RANKS, value=Ticket.priority)


def sort_expression(field: SortField) -> ColumnElement[Any]:
    """Return the SQL expression a sort orders by."""
    if field is SortField.CREATED:
        return Ticket.created_at.expression
    if field is SortField.UPDATED:
        return Ticket.updated_at.expression
    if field is SortField.DUE_DATE:
        return func.coalesce(Ticket.due_date, _NO_DUE_DATE_SQL)
    if field is SortField.PRIORITY:
        return _priority_rank()
    return Ticket.number.expression


def sort_key(ticket: Ticket, field: SortField) -> Any:
    """Return the value of `sort_expression` for a loaded ticket."""
    if field is SortField.CREATED:
        return ticket.created_at
    if field is SortField.UPDATED:
        return ticket.updated_at
    if field is SortField.DUE_DATE:
        return ticket.due_date or NO_DUE_DATE
    if field is SortField.PRIORITY:
        return PRIORITY_RANKS[ticket.priority]
    return ticket.number


async def list_tickets(
    session: AsyncSession,
    ticket_filter: TicketFilter,
    sort: Sort,
    limit: int,
    after: Position | None,
) -> list[Ticket]:
    """Return up to `limit` tickets matching the filter, in sort order, after `after`."""
    conditions = await _conditions_with_text(session, ticket_filter)
    query = select(Ticket).where(*conditions)

    key = sort_expression(sort.field)
    if after is not None:
        position = tuple_(key, Ticket.id)
        bound = tuple_(after.key, after.ticket_id)
        query = query.where(position > bound if sort.order is SortOrder.ASC else position < bound)

    if sort.order is SortOrder.ASC:
        query = query.order_by(key.asc(), Ticket.id.asc())
    else:
        query = query.order_by(key.desc(), Ticket.id.desc())
    return list(await session.scalars(query.limit(limit)))


async def _conditions_with_text(
    session: AsyncSession, ticket_filter: TicketFilter
) -> list[ColumnElement[bool]]:
    # The ids of the matching tickets are read from the GIN indexes first. When they are
    # few, the list query filters by them, so it never walks the ticket list looking for
    # a match that is rare or absent (seconds on a million tickets). When they are many,
    # the combined condition finds the newest matches early in that walk.
    if not ticket_filter.text:
        return filter_conditions(ticket_filter)

    # A common word matches interactions on tens of thousands of heap pages. With the
    # default 4 MB of work_mem the bitmap of the GIN scan turns lossy, and PostgreSQL
    # then recomputes to_tsvector for every row of those pages: 13.7 s instead of 1.1 s
    # for a word in 187,000 of 3 million interactions (bench/ticket_scale.py). SET LOCAL
    # ends with the transaction.
    await session.execute(sql_text(f"SET LOCAL work_mem = '{SEARCH_WORK_MEM}'"))
    ticket_ids = await _text_match_ids(session, ticket_filter.text, FEW_TEXT_MATCHES + 1)
    if ticket_ids is None:
        return filter_conditions(ticket_filter)
    without_text = filter_conditions(replace(ticket_filter, text=None))
    # One array parameter, so every result size shares one prepared statement.
    ids = bindparam(None, ticket_ids, ARRAY(Uuid))
    return [*without_text, Ticket.id == any_(ids)]


async def _text_match_ids(session: AsyncSession, text: str, limit: int) -> list[uuid.UUID] | None:
    """Return the ids of the tickets matching `text`, or None for `limit` matches or more.

    A match is a subject or an interaction, so a ticket can match several times.
    """
    query = func.websearch_to_tsquery(_SEARCH_CONFIG, text)
    matched_ticket = aliased(Ticket)
    in_subjects = select(matched_ticket.id).where(
        func.to_tsvector(_SEARCH_CONFIG, matched_ticket.subject).bool_op("@@")(query)
    )
    in_interactions = select(Interaction.ticket_id).where(
        func.to_tsvector(_SEARCH_CONFIG, Interaction.text_body).bool_op("@@")(query)
    )
    # UNION ALL, not UNION: the LIMIT stops the index scans early only without a
    # deduplication step, which would read every match first.
    matches = union_all(in_subjects, in_interactions).subquery()
    found = list(await session.scalars(select(matches.c[0]).limit(limit)))
    if len(found) >= limit:
        return None
    return list(dict.fromkeys(found))


def filter_conditions(ticket_filter: TicketFilter) -> list[ColumnElement[bool]]:
    """Return the SQL conditions of a filter."""
    f = ticket_filter
    conditions: list[ColumnElement[bool]] = []

    if f.statuses:
        statuses = bindparam(
            None, list(f.statuses), Ticket.status.type, expanding=True, literal_execute=True
        )
        conditions.append(Ticket.status.in_(statuses))
    if f.priorities:
        conditions.append(Ticket.priority.in_(f.priorities))
    if f.teams:
        conditions.append(Ticket.assigned_team.in_(f.teams))
    if f.assignee is not None:
        conditions.append(Ticket.assigned_to.contains([f.assignee]))
    if f.unassigned is not None:
        no_assignee = func.cardinality(Ticket.assigned_to) == 0
        conditions.append(no_assignee if f.unassigned else ~no_assignee)

    if f.tags:
        conditions.append(Ticket.tags.contains([tag.strip().lower() for tag in f.tags]))
    if f.category is not None:
        conditions.append(Ticket.category == f.category)

    if f.customer_id is not None:
        conditions.append(Ticket.customer_id == f.customer_id)
    if f.contact_id is not None:
        conditions.append(Ticket.contact_ids.contains([f.contact_id]))
    if f.sources:
        conditions.append(Ticket.source.in_(f.sources))

    if f.sla_breached is not None:
        breached = Ticket.sla_breach_at.is_not(None)
        conditions.append(breached if f.sla_breached else ~breached)
    conditions.extend(_time_bounds(f))
    if f.text:
        conditions.append(_text_search(f.text))
    return conditions


def _time_bounds(f: TicketFilter) -> list[ColumnElement[bool]]:
    bounds = [
        (Ticket.due_date, f.due_after, f.due_before),
        (Ticket.created_at, f.created_after, f.created_before),
        (Ticket.updated_at, f.updated_after, f.updated_before),
    ]
    conditions: list[ColumnElement[bool]] = []
    for column, after, before in bounds:
        if after is not None:
            conditions.append(column >= after)
        if before is not None:
            conditions.append(column < before)
    return conditions


def _text_search(text: str) -> ColumnElement[bool]:
    # websearch_to_tsquery accepts any user input: quoted phrases, OR and -word.
    query = func.websearch_to_tsquery(_SEARCH_CONFIG, text)
    in_subject = func.to_tsvector(_SEARCH_CONFIG, Ticket.subject).bool_op("@@")(query)
    in_interactions = exists().where(
        and_(
            Interaction.ticket_id == Ticket.id,
            func.to_tsvector(_SEARCH_CONFIG, Interaction.text_body).bool_op("@@")(query),
        )
    )
    return or_(in_subject, in_interactions)
