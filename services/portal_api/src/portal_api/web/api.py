"""A small JSON API beside the pages, for scripts and apps of signed-in customers.

It uses the session cookie like the pages, so writes need the CSRF token in the
`x-csrftoken` header. Invalid input gets an RFC 9457 problem details response naming
the field.
"""

import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from helpdesk_contracts.enums import TicketSource
from helpdesk_contracts.messages import (
    PortalSubmitRequest,
    PortalTicketSummary,
    PortalTicketView,
)
from helpdesk_runtime.problems import ProblemError
from portal_api.context import PortalDependency
from portal_api.web.auth import required_account, viewer_of
from portal_api.web.submissions import MAX_MESSAGE_LENGTH, MAX_SUBJECT_LENGTH
from portal_api.web.ticket_access import list_tickets, load_ticket, post_reply

StatusFilter = Literal["", "active", "waiting", "done"]


class ReplyBody(msgspec.Struct, forbid_unknown_fields=True):
    """A customer's reply to a ticket, as plain text."""

    text_body: Annotated[str, msgspec.Meta(min_length=1, max_length=100_000)]


class ReplyCreated(msgspec.Struct):
    """The interaction a reply became."""

    interaction_id: str


class TicketBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new ticket; `form_values` maps the field keys of the intake form `form_id` to values."""

    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SUBJECT_LENGTH)]
    text_body: Annotated[str, msgspec.Meta(max_length=MAX_MESSAGE_LENGTH)] = ""
    form_id: uuid.UUID | None = None
    form_values: dict[str, object] = msgspec.field(default_factory=dict)


class TicketCreatedOut(msgspec.Struct):
    """The number of the new ticket, as in `/tickets/{number}`."""

    number: int


def _answer_path(field: str) -> str:
    # ticket_service names form fields by key and the fixed inputs by their own name.
    if field in {"subject", "text_body", "form_id"}:
        return f"$.{field}"
    return f"$.form_values.{field}"


class TicketPageOut(msgspec.Struct, kw_only=True):
    """One page of the viewer's tickets; `next_cursor` goes into `after` for the next page."""

    tickets: tuple[PortalTicketSummary, ...]
    next_cursor: str | None


class TicketApiController(Controller):
    """The viewer's tickets as JSON."""

    path = "/api/tickets"

    @get("/")
    async def list_api(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDependency,
        status: Annotated[StatusFilter, QueryParameter(name="status")] = "",
        search: Annotated[str, QueryParameter(name="q", max_length=200)] = "",
        after: Annotated[str | None, QueryParameter(name="after", required=False)] = None,
    ) -> TicketPageOut:
        account = await required_account(request, portal)
        page = await list_tickets(portal, account, status, search, after)
        # The reply's message envelope (id, occurred_at, schema_version) is NATS plumbing.
        return TicketPageOut(tickets=page.tickets, next_cursor=page.next_cursor)

    @post("/", status_code=201)
    async def create_api(
        self, request: Request[Any, Any, Any], portal: PortalDependency, data: JSONBody[TicketBody]
    ) -> TicketCreatedOut:
        account = await required_account(request, portal)
        reply = await portal.requests.submit(
            PortalSubmitRequest(
                viewer=viewer_of(account),
                source=TicketSource.PORTAL,
                subject=data.subject.strip(),
                text_body=data.text_body.strip(),
                form_id=data.form_id,
                form_values=data.form_values,
            )
        )
        if reply.field_errors or reply.number is None:
            errors = [
                {"field": _answer_path(error.field), "detail": error.message}
                for error in reply.field_errors
            ]
            raise ProblemError(
                400,
                "Invalid request",
                "The ticket was not created; see `errors`.",
                extra={"errors": errors},
            )
        return TicketCreatedOut(number=reply.number)

    @get("/{number:int}")
    async def show_api(
        self, request: Request[Any, Any, Any], portal: PortalDependency, number: FromPath[int]
    ) -> PortalTicketView:
        account = await required_account(request, portal)
        return await load_ticket(portal, account, number)

    @post("/{number:int}/replies", status_code=201)
    async def reply_api(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDependency,
        number: FromPath[int],
        data: JSONBody[ReplyBody],
    ) -> ReplyCreated:
        account = await required_account(request, portal)
        outcome = await post_reply(portal, account, number, data.text_body, [])
        if outcome.errors:
            field, detail = next(iter(outcome.errors.items()))
            raise ProblemError(400, "Invalid request", detail, field=f"$.{field}")
        return ReplyCreated(interaction_id=str(outcome.interaction_id))
