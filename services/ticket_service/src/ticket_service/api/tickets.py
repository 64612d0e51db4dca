"""The agent API: list and show tickets, reply by email, add notes, change status."""

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import (
    FromPath,
    FromQuery,
    HeaderParameter,
    JSONBody,
    PathParameter,
    QueryParameter,
)
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import InteractionType, TicketPriority, TicketStatus
from helpdesk_runtime.database import Sessions, unit_of_work
from helpdesk_runtime.logging import bound_context
from helpdesk_runtime.messaging import HEADER_CORRELATION_ID, new_correlation_id
from ticket_service.api.pagination import decode_cursor, encode_cursor
from ticket_service.api.schemas import (
    InteractionOut,
    NoteCreate,
    ReplyCreate,
    TicketDetail,
    TicketPage,
    TicketUpdate,
    interaction_out,
    ticket_detail,
    ticket_out,
)
from ticket_service.interactions import interactions_of
from ticket_service.listing import TicketFilter, list_tickets
from ticket_service.models import Ticket
from ticket_service.notes import NoteRequest, add_note
from ticket_service.preconditions import IfMatch, etag
from ticket_service.replies import OutboundIdentity, ReplyRequest, reply_to_ticket
from ticket_service.ticket_updates import TicketChanges, update_ticket
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


def _correlation_id(request: AnyRequest) -> str:
    return request.headers.get(HEADER_CORRELATION_ID) or new_correlation_id()


def _if_match(header: str | None) -> IfMatch | None:
    return IfMatch(header) if header else None


async def _detail_response(
    session: AsyncSession, ticket: Ticket, status_code: int = 200
) -> Response[TicketDetail]:
    interactions = await interactions_of(session, ticket.id)
    return Response(
        ticket_detail(ticket, interactions),
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
        customer_id: FromQuery[uuid.UUID | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = 50,
        cursor: Annotated[
            str | None, QueryParameter(description="`next_cursor` of the previous page.")
        ] = None,
    ) -> TicketPage:
        """List tickets newest first; repeat `status` or `priority` to match any of several."""
        ticket_filter = TicketFilter(
            statuses=status or (), priorities=priority or (), customer_id=customer_id
        )
        after = decode_cursor(cursor) if cursor else None

        async with sessions() as session:
            tickets = await list_tickets(session, ticket_filter, limit + 1, after)

        page = tickets[:limit]
        next_cursor = encode_cursor(page[-1]) if len(tickets) > limit else None
        return TicketPage(items=[ticket_out(ticket) for ticket in page], next_cursor=next_cursor)

    @get("/{ticket_id:uuid}")
    async def get_ticket(
        self, ticket_id: FromPath[uuid.UUID], sessions: Sessions
    ) -> Response[TicketDetail]:
        """Show a ticket with its customer and its interactions, oldest first."""
        async with sessions() as session:
            ticket = await get_ticket(session, ticket_id)
            return await _detail_response(session, ticket)

    @get("/by-number/{number:int}")
    async def get_ticket_by_number(
        self,
        number: Annotated[int, PathParameter(ge=1, le=MAX_TICKET_NUMBER)],
        sessions: Sessions,
    ) -> Response[TicketDetail]:
        """Show the ticket with this number, as `GET /tickets/{id}` does."""
        async with sessions() as session:
            ticket = await get_ticket_by_number(session, number)
            return await _detail_response(session, ticket)

    @patch("/{ticket_id:uuid}")
    async def update_ticket(
        self,
        request: AnyRequest,
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[TicketUpdate],
        sessions: Sessions,
        if_match: IfMatchHeader = None,
    ) -> Response[TicketDetail]:
        """Change status or priority. Resolved stamps `resolved_at`; leaving it clears it."""
        changes = TicketChanges(
            ticket_id=ticket_id,
            status=data.status,
            priority=data.priority,
            actor=data.actor,
            if_match=_if_match(if_match),
            correlation_id=_correlation_id(request),
        )
        with bound_context(correlation_id=changes.correlation_id, ticket_id=ticket_id):
            async with unit_of_work(sessions) as session:
                ticket = await update_ticket(session, changes)
                return await _detail_response(session, ticket)

    @post("/{ticket_id:uuid}/replies")
    async def reply(
        self,
        request: AnyRequest,
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[ReplyCreate],
        sessions: Sessions,
        outbound_identity: NamedDependency[OutboundIdentity],
        if_match: IfMatchHeader = None,
    ) -> Response[InteractionOut]:
        """Reply to the customer by email; returns the new `EMAIL_OUTBOUND` interaction."""
        reply = ReplyRequest(
            ticket_id=ticket_id,
            text=data.text,
            author=data.author,
            if_match=_if_match(if_match),
            correlation_id=_correlation_id(request),
        )
        with bound_context(correlation_id=reply.correlation_id, ticket_id=ticket_id):
            async with unit_of_work(sessions) as session:
                ticket, interaction = await reply_to_ticket(session, reply, outbound_identity)
        return Response(
            interaction_out(interaction),
            status_code=201,
            headers={"ETag": etag(ticket.version)},
        )

    @post("/{ticket_id:uuid}/notes")
    async def add_note(
        self,
        request: AnyRequest,
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[NoteCreate],
        sessions: Sessions,
        if_match: IfMatchHeader = None,
    ) -> Response[InteractionOut]:
        """Record a note, phone call, meeting or SMS; no email is sent."""
        note = NoteRequest(
            ticket_id=ticket_id,
            note_type=InteractionType(data.type),
            text=data.text,
            author=data.author,
            if_match=_if_match(if_match),
            correlation_id=_correlation_id(request),
        )
        with bound_context(correlation_id=note.correlation_id, ticket_id=ticket_id):
            async with unit_of_work(sessions) as session:
                ticket, interaction = await add_note(session, note)
        return Response(
            interaction_out(interaction),
            status_code=201,
            headers={"ETag": etag(ticket.version)},
        )
