"""Endpoints that change one field of a ticket: assignees, tags, or a merge."""

import uuid

from litestar import Controller, Response, delete, post, put
from litestar.params import FromPath

from helpdesk_runtime.database import Sessions, unit_of_work
from helpdesk_runtime.logging import bound_context
from ticket_service.api.authentication import actor_of
from ticket_service.api.openapi_examples import (
    TICKET_PROBLEMS,
    AssigneeAddBody,
    MergeCreateBody,
    TagsReplaceBody,
)
from ticket_service.api.schemas import TicketDetail
from ticket_service.api.tickets import (
    AnyRequest,
    IfMatchHeader,
    apply_field_changes,
    correlation_id_of,
    detail_response,
    if_match_of,
)
from ticket_service.errors import UnknownAgentError
from ticket_service.merging import MergeRequest, merge_ticket
from ticket_service.ticket_updates import FieldChanges


class TicketFieldsController(Controller):
    path = "/tickets"
    tags = ["tickets"]

    @post("/{ticket_id:uuid}/assignees", status_code=200, responses=TICKET_PROBLEMS)
    async def add_assignee(
        self,
        request: AnyRequest,
        ticket_id: FromPath[uuid.UUID],
        data: AssigneeAddBody,
        sessions: Sessions,
        if_match: IfMatchHeader = None,
    ) -> Response[TicketDetail]:
        """Assign one more agent; agents already assigned stay assigned."""
        fields = FieldChanges(add_assignees=[data.agent])
        try:
            return await apply_field_changes(request, ticket_id, fields, sessions, if_match)
        except UnknownAgentError as exc:
            exc.field = "$.agent"
            raise

    @delete("/{ticket_id:uuid}/assignees/{agent:str}", status_code=200)
    async def remove_assignee(
        self,
        request: AnyRequest,
        ticket_id: FromPath[uuid.UUID],
        agent: FromPath[str],
        sessions: Sessions,
        if_match: IfMatchHeader = None,
    ) -> Response[TicketDetail]:
        """Unassign one agent; the other assignees stay. Unassigning a non-assignee is a no-op."""
        fields = FieldChanges(remove_assignees=[agent])
        return await apply_field_changes(request, ticket_id, fields, sessions, if_match)

    @put("/{ticket_id:uuid}/tags", responses=TICKET_PROBLEMS)
    async def replace_tags(
        self,
        request: AnyRequest,
        ticket_id: FromPath[uuid.UUID],
        data: TagsReplaceBody,
        sessions: Sessions,
        if_match: IfMatchHeader = None,
    ) -> Response[TicketDetail]:
        """Replace the tags; they are trimmed, lower-cased and deduplicated."""
        fields = FieldChanges(tags=data.tags)
        return await apply_field_changes(request, ticket_id, fields, sessions, if_match)

    @post("/{ticket_id:uuid}/merge", status_code=200, responses=TICKET_PROBLEMS)
    async def merge(
        self,
        request: AnyRequest,
        ticket_id: FromPath[uuid.UUID],
        data: MergeCreateBody,
        sessions: Sessions,
        if_match: IfMatchHeader = None,
    ) -> Response[TicketDetail]:
        """Merge this ticket into `into`; returns this ticket, now Closed with `merged_into`.

        If-Match applies to this ticket. Its interactions and Message-IDs move to `into`.
        """
        merge = MergeRequest(
            ticket_id=ticket_id,
            into_id=data.into,
            actor=actor_of(request),
            if_match=if_match_of(if_match),
            correlation_id=correlation_id_of(request),
        )
        with bound_context(correlation_id=merge.correlation_id, ticket_id=ticket_id):
            async with unit_of_work(sessions) as session:
                source, _ = await merge_ticket(session, merge)
                return await detail_response(session, source)
