"""The agent API: create, list and show tickets, reply by email, add notes, change fields."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import (
    FromPath,
    FromQuery,
    HeaderParameter,
    PathParameter,
    QueryParameter,
)
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import InteractionType, TicketPriority, TicketSource, TicketStatus
from helpdesk_contracts.messages import AccountContextReply
from helpdesk_runtime.database import Sessions, unit_of_work
from helpdesk_runtime.logging import bound_context
from helpdesk_runtime.messaging import HEADER_CORRELATION_ID, new_correlation_id
from ticket_service.api.authentication import actor_of
from ticket_service.api.openapi_examples import (
    INVALID_REQUEST,
    TICKET_PROBLEMS,
    UNAUTHORIZED,
    NoteCreateBody,
    ReplyCreateBody,
    TicketCreateBody,
    TicketUpdateBody,
)
from ticket_service.api.pagination import decode_cursor, encode_cursor
from ticket_service.api.schemas import (
    InteractionOut,
    TicketDetail,
    TicketPage,
    interaction_out,
    ticket_detail,
    ticket_out,
)
from ticket_service.audit import audit_of
from ticket_service.creation import NewTicket, create_ticket
from ticket_service.customer_context import AccountContextClient
from ticket_service.enrichment import ContactResolver
from ticket_service.intake_forms import form_name_of
from ticket_service.interactions import interactions_of
from ticket_service.listing import Sort, SortField, SortOrder, TicketFilter, list_tickets
from ticket_service.models import Ticket
from ticket_service.notes import NoteRequest, add_note
from ticket_service.preconditions import IfMatch, etag
from ticket_service.replies import OutboundIdentity, ReplyRequest, reply_to_ticket
from ticket_service.ticket_updates import FieldChanges, TicketChanges, update_ticket
from ticket_service.tickets import get_ticket, get_ticket_by_number

AnyRequest = Request[Any, Any, Any]

MAX_PAGE_SIZE = 200
MAX_TICKET_NUMBER = 2**63 - 1

IfMatchHeader = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        description="The ETag of the ticket as last read; a mismatch returns 412.",
    ),
]


def correlation_id_of(request: AnyRequest) -> str:
    """Return the request's correlation id, or a new one."""
    return request.headers.get(HEADER_CORRELATION_ID) or new_correlation_id()


def if_match_of(header: str | None) -> IfMatch | None:
    """Return the parsed If-Match header, or None without one."""
    return IfMatch(header) if header else None


async def apply_field_changes(
    request: AnyRequest,
    ticket_id: uuid.UUID,
    fields: FieldChanges,
    sessions: Sessions,
    if_match: str | None,
) -> Response[TicketDetail]:
    """Apply `fields` as the calling agent and return the ticket's detail."""
    changes = TicketChanges(
        ticket_id=ticket_id,
        fields=fields,
        actor=actor_of(request),
        if_match=if_match_of(if_match),
        correlation_id=correlation_id_of(request),
    )
    with bound_context(correlation_id=changes.correlation_id, ticket_id=ticket_id):
        async with unit_of_work(sessions) as session:
            ticket = await update_ticket(session, changes)
            return await detail_response(session, ticket)


async def read_snapshot(session: AsyncSession) -> None:
    """Make the session's reads see one snapshot, so a ticket and its interactions agree.

    Under the default READ COMMITTED, a change committed between the ticket query and
    the interactions query would show new interactions beside the old version.
    """
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


async def detail_response(
    session: AsyncSession,
    ticket: Ticket,
    status_code: int = 200,
    customer_context: AccountContextReply | None = None,
) -> Response[TicketDetail]:
    """Return the ticket with its interactions and audit history, and its ETag."""
    interactions = await interactions_of(session, ticket.id)
    audit = await audit_of(session, ticket.id)
    form_name = await form_name_of(session, ticket.form_id)
    return Response(
        ticket_detail(ticket, interactions, audit, customer_context, form_name),
        status_code=status_code,
        headers={"ETag": etag(ticket.version)},
    )


class TicketController(Controller):
    path = "/tickets"
    tags = ["tickets"]

    @get("/")
    async def list_tickets(
        self,
        sessions: Sessions,
        status: FromQuery[list[TicketStatus] | None] = None,
        priority: FromQuery[list[TicketPriority] | None] = None,
        team: FromQuery[list[str] | None] = None,
        assignee: FromQuery[str | None] = None,
        unassigned: FromQuery[bool | None] = None,
        tag: Annotated[
            list[str] | None, QueryParameter(description="Tickets with all of these tags.")
        ] = None,
        category: FromQuery[str | None] = None,
        customer_id: FromQuery[uuid.UUID | None] = None,
        contact_id: FromQuery[uuid.UUID | None] = None,
        source: FromQuery[list[TicketSource] | None] = None,
        sla_breached: FromQuery[bool | None] = None,
        due_after: FromQuery[datetime | None] = None,
        due_before: FromQuery[datetime | None] = None,
        created_after: FromQuery[datetime | None] = None,
        created_before: FromQuery[datetime | None] = None,
        updated_after: FromQuery[datetime | None] = None,
        updated_before: FromQuery[datetime | None] = None,
        q: Annotated[
            str | None,
            QueryParameter(
                max_length=500,
                description="Full-text search in subjects and interaction text "
                "(web search syntax: quoted phrases, OR, -word).",
            ),
        ] = None,
        sort: FromQuery[SortField] = SortField.CREATED,
        order: FromQuery[SortOrder] = SortOrder.DESC,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = 50,
        cursor: Annotated[
            str | None, QueryParameter(description="`next_cursor` of the previous page.")
        ] = None,
    ) -> TicketPage:
        """List tickets, newest first unless `sort` and `order` set another order.

        Repeat `status`, `priority`, `team` or `source` to match any of several values.
        Time bounds: `*_after` is inclusive, `*_before` exclusive.
        """
        ticket_filter = TicketFilter(
            statuses=status or (),
            priorities=priority or (),
            teams=team or (),
            assignee=assignee,
            unassigned=unassigned,
            tags=tag or (),
            category=category,
            customer_id=customer_id,
            contact_id=contact_id,
            sources=source or (),
            sla_breached=sla_breached,
            due_after=due_after,
            due_before=due_before,
            created_after=created_after,
            created_before=created_before,
            updated_after=updated_after,
            updated_before=updated_before,
            text=q.strip() if q and q.strip() else None,
        )
        ticket_sort = Sort(field=sort, order=order)
        after = decode_cursor(cursor, ticket_sort) if cursor else None

        async with sessions() as session:
            tickets = await list_tickets(session, ticket_filter, ticket_sort, limit + 1, after)

        page = tickets[:limit]
        next_cursor = encode_cursor(page[-1], ticket_sort) if len(tickets) > limit else None
        return TicketPage(items=[ticket_out(ticket) for ticket in page], next_cursor=next_cursor)

    @post("/", responses={400: INVALID_REQUEST, 401: UNAUTHORIZED})
    async def create_ticket(
        self,
        request: AnyRequest,
        data: TicketCreateBody,
        sessions: Sessions,
        contact_resolver: NamedDependency[ContactResolver],
    ) -> Response[TicketDetail]:
        """Create a ticket; the requester is linked to a contact as for inbound mail."""
        new_ticket = NewTicket(
            subject=data.subject.strip(),
            text=data.text,
            requester_email=data.requester_email.strip(),
            requester_name=data.requester_name,
            source=TicketSource(data.source),
            author=actor_of(request),
            priority=data.priority,
            assigned_team=data.assigned_team,
            tags=data.tags,
            category=data.category,
        )
        correlation_id = correlation_id_of(request)
        with bound_context(correlation_id=correlation_id):
            async with unit_of_work(sessions) as session:
                ticket = await create_ticket(session, new_ticket, contact_resolver, correlation_id)
                return await detail_response(session, ticket, status_code=201)

    @get("/{ticket_id:uuid}")
    async def get_ticket(
        self,
        ticket_id: FromPath[uuid.UUID],
        sessions: Sessions,
        account_context: NamedDependency[AccountContextClient],
    ) -> Response[TicketDetail]:
        """Show a ticket with its customer, account context, interactions and audit history."""
        async with sessions() as session:
            ticket = await get_ticket(session, ticket_id)
        context = await account_context.context_of(ticket)

        async with sessions() as session:
            await read_snapshot(session)
            ticket = await get_ticket(session, ticket_id)
            return await detail_response(session, ticket, customer_context=context)

    @get("/by-number/{number:int}")
    async def get_ticket_by_number(
        self,
        number: Annotated[int, PathParameter(ge=1, le=MAX_TICKET_NUMBER)],
        sessions: Sessions,
        account_context: NamedDependency[AccountContextClient],
    ) -> Response[TicketDetail]:
        """Show the ticket with this number, as `GET /tickets/{id}` does."""
        async with sessions() as session:
            ticket = await get_ticket_by_number(session, number)
        context = await account_context.context_of(ticket)

        async with sessions() as session:
            await read_snapshot(session)
            ticket = await get_ticket(session, ticket.id)
            return await detail_response(session, ticket, customer_context=context)

    @patch("/{ticket_id:uuid}", responses=TICKET_PROBLEMS)
    async def update_ticket(
        self,
        request: AnyRequest,
        ticket_id: FromPath[uuid.UUID],
        data: TicketUpdateBody,
        sessions: Sessions,
        if_match: IfMatchHeader = None,
    ) -> Response[TicketDetail]:
        """Change status, priority, assignees, team, tags or category.

        Resolved stamps `resolved_at`; leaving it clears it. An unknown category is a 400.
        """
        fields = FieldChanges(
            status=data.status,
            priority=data.priority,
            assigned_to=data.assigned_to,
            assigned_team=data.assigned_team,
            tags=data.tags,
            category=data.category,
        )
        return await apply_field_changes(request, ticket_id, fields, sessions, if_match)

    @post("/{ticket_id:uuid}/replies", responses=TICKET_PROBLEMS)
    async def reply(
        self,
        request: AnyRequest,
        ticket_id: FromPath[uuid.UUID],
        data: ReplyCreateBody,
        sessions: Sessions,
        outbound_identity: NamedDependency[OutboundIdentity],
        if_match: IfMatchHeader = None,
    ) -> Response[InteractionOut]:
        """Reply to the customer by email; returns the new `EMAIL_OUTBOUND` interaction."""
        reply = ReplyRequest(
            ticket_id=ticket_id,
            text=data.text,
            author=actor_of(request),
            if_match=if_match_of(if_match),
            correlation_id=correlation_id_of(request),
        )
        with bound_context(correlation_id=reply.correlation_id, ticket_id=ticket_id):
            async with unit_of_work(sessions) as session:
                ticket, interaction = await reply_to_ticket(session, reply, outbound_identity)
        return Response(
            interaction_out(interaction),
            status_code=201,
            headers={"ETag": etag(ticket.version)},
        )

    @post("/{ticket_id:uuid}/notes", responses=TICKET_PROBLEMS)
    async def add_note(
        self,
        request: AnyRequest,
        ticket_id: FromPath[uuid.UUID],
        data: NoteCreateBody,
        sessions: Sessions,
        if_match: IfMatchHeader = None,
    ) -> Response[InteractionOut]:
        """Record a note, phone call, meeting or SMS; no email is sent."""
        note = NoteRequest(
            ticket_id=ticket_id,
            note_type=InteractionType(data.type),
            text=data.text,
            author=actor_of(request),
            if_match=if_match_of(if_match),
            correlation_id=correlation_id_of(request),
        )
        with bound_context(correlation_id=note.correlation_id, ticket_id=ticket_id):
            async with unit_of_work(sessions) as session:
                ticket, interaction = await add_note(session, note)
        return Response(
            interaction_out(interaction),
            status_code=201,
            headers={"ETag": etag(ticket.version)},
        )
