"""The portal's requests to ticket_service over NATS request/reply.

portal_api sends one request per page or action with the signed-in contact as the
viewer. Each handler requests the viewer's scope from customer_service first and adds it to
its queries (see `ticket_service.portal_scope`). A ticket outside the scope gets the same
reply as a missing one: no ticket, `found` false or no attachment. A handler that fails,
for example when customer_service does not return the scope in time, replies with an
`ErrorReply`.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_contracts import subjects
from helpdesk_contracts.enums import TicketSource
from helpdesk_contracts.messages import (
    ErrorReply,
    PortalAttachmentReply,
    PortalAttachmentRequest,
    PortalFieldError,
    PortalFormsReply,
    PortalFormsRequest,
    PortalReplyReply,
    PortalReplyRequest,
    PortalSubmitReply,
    PortalSubmitRequest,
    PortalTicketListReply,
    PortalTicketListRequest,
    PortalTicketReply,
    PortalTicketRequest,
    PortalViewer,
)
from helpdesk_runtime.consumers import serve_requests
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.messaging import new_correlation_id
from helpdesk_runtime.service import ServiceRuntime
from ticket_service.enrichment import ContactResolver
from ticket_service.intake_forms import form_view, list_forms
from ticket_service.models import IntakeFormRecord
from ticket_service.portal_messages import PortalReplyContext, add_portal_reply
from ticket_service.portal_scope import ContactScopeClient, PortalScope
from ticket_service.portal_submissions import (
    NewPortalTicket,
    PortalAuthor,
    form_errors,
    open_portal_ticket,
    portal_author,
    submission_errors,
    submitted,
)
from ticket_service.portal_views import (
    MAX_PAGE_SIZE,
    decode_cursor,
    encode_cursor,
    list_visible_tickets,
    ticket_summary,
    ticket_view,
    visible_attachment,
)

log = get_logger(__name__)

QUEUE = "ticket_service"


def _correlation_id() -> str:
    # serve_requests binds the request's correlation id to the log context.
    bound = structlog.contextvars.get_contextvars().get("correlation_id")
    return str(bound) if bound else new_correlation_id()


@dataclass(frozen=True)
class PortalRequests:
    """The handlers of the portal's requests."""

    sessions: async_sessionmaker[AsyncSession]
    scopes: ContactScopeClient
    resolver: ContactResolver
    support_name: str

    async def _scope(self, viewer: PortalViewer) -> PortalScope | None:
        scope = await self.scopes.scope_of(viewer.contact_id, _correlation_id())
        if scope is None:
            log.info("portal viewer contact not found", contact_id=str(viewer.contact_id))
        return scope

    async def list_tickets(self, request: PortalTicketListRequest) -> PortalTicketListReply:
        """Return one page of the viewer's tickets, newest activity first."""
        scope = await self._scope(request.viewer)
        if scope is None:
            return PortalTicketListReply(tickets=())

        limit = max(1, min(request.limit, MAX_PAGE_SIZE))
        after = decode_cursor(request.after) if request.after else None
        search = request.search.strip() if request.search and request.search.strip() else None
        async with self.sessions() as session:
            tickets = await list_visible_tickets(
                session, scope, request.statuses, search, limit + 1, after
            )

        page = tickets[:limit]
        next_cursor = encode_cursor(page[-1]) if len(tickets) > limit else None
        return PortalTicketListReply(
            tickets=tuple(ticket_summary(ticket) for ticket in page), next_cursor=next_cursor
        )

    async def show_ticket(self, request: PortalTicketRequest) -> PortalTicketReply:
        """Return the ticket page, or no ticket when it is outside the viewer's scope."""
        scope = await self._scope(request.viewer)
        if scope is None:
            return PortalTicketReply(ticket=None)

        async with self.sessions() as session:
            # One snapshot, so the ticket and its interactions agree.
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            view = await ticket_view(session, scope, request.number, self.support_name)
        return PortalTicketReply(ticket=view)

    async def reply(self, request: PortalReplyRequest) -> PortalReplyReply:
        """Add the viewer's message to a ticket in scope."""
        scope = await self._scope(request.viewer)
        if scope is None:
            return PortalReplyReply(found=False)

        context = PortalReplyContext(resolver=self.resolver, correlation_id=_correlation_id())
        async with unit_of_work(self.sessions) as session:
            return await add_portal_reply(session, scope, request, context)

    async def submit(self, request: PortalSubmitRequest) -> PortalSubmitReply:
        """Open a ticket from the portal or the web form, or return why not."""
        errors = submission_errors(request)
        author = None
        if not errors:
            author = await self._submission_author(request)
            if author is None:
                errors.append(
                    PortalFieldError(field="viewer", message="Sign in again to submit a ticket.")
                )

        correlation_id = _correlation_id()
        async with unit_of_work(self.sessions) as session:
            # The form's fields are checked even when the fixed inputs failed, so the
            # customer sees every mistake in one round.
            form, form_values, form_errors = await _checked_form(session, request)
            errors.extend(form_errors)
            if errors or author is None or request.validate_only:
                return PortalSubmitReply(field_errors=tuple(errors))

            new = NewPortalTicket(
                subject=request.subject,
                text_body=request.text_body,
                source=request.source,
                author=author,
                attachments=request.attachments,
                form=form,
                form_values=form_values,
            )
            ticket, _ = await open_portal_ticket(session, new, self.resolver, correlation_id)
            return submitted(ticket)

    async def _submission_author(self, request: PortalSubmitRequest) -> PortalAuthor | None:
        if request.source is TicketSource.PORTAL and request.viewer is not None:
            scope = await self._scope(request.viewer)
            return portal_author(scope) if scope is not None else None
        if request.sender is None:
            return None
        sender = request.sender
        return PortalAuthor(address=sender.address.strip(), name=sender.name.strip())

    async def forms(self, request: PortalFormsRequest) -> PortalFormsReply:
        """Return the active forms; only anonymous ones for the web form."""
        async with self.sessions() as session:
            records = await list_forms(session, anonymous_only=request.anonymous)
        return PortalFormsReply(forms=tuple(form_view(record) for record in records))

    async def attachment(self, request: PortalAttachmentRequest) -> PortalAttachmentReply:
        """Return the attachment's metadata if the viewer may download it."""
        scope = await self._scope(request.viewer)
        if scope is None:
            return PortalAttachmentReply(attachment=None)

        async with self.sessions() as session:
            found = await visible_attachment(session, scope, request.number, request.sha256)
        return PortalAttachmentReply(attachment=found)


async def _checked_form(
    session: AsyncSession, request: PortalSubmitRequest
) -> tuple[IntakeFormRecord | None, dict[str, object], list[PortalFieldError]]:
    if request.form_id is None:
        unknown = [
            PortalFieldError(field=key, message="This field belongs to no chosen form.")
            for key in request.form_values
        ]
        return None, {}, unknown

    form = await _offered_form(session, request.form_id, request.source)
    if form is None:
        return None, {}, [PortalFieldError(field="form_id", message="This form is not offered.")]
    values, errors = form_errors(form, request)
    return form, values, errors


async def _offered_form(
    session: AsyncSession, form_id: uuid.UUID, source: TicketSource
) -> IntakeFormRecord | None:
    # Locked in share mode, so the form cannot be deactivated while the ticket is created.
    form = await session.get(IntakeFormRecord, form_id, with_for_update={"read": True})
    if form is None or not form.active:
        return None
    if source is TicketSource.WEB and not form.anonymous:
        return None
    return form


def register_portal_requests(
    runtime: ServiceRuntime,
    scopes: ContactScopeClient,
    resolver: ContactResolver,
    support_name: str,
) -> None:
    """Serve the portal's request subjects in the service's queue group."""
    handlers = PortalRequests(runtime.sessions, scopes, resolver, support_name)

    def error_reply(error: str) -> ErrorReply:
        return ErrorReply(error=error)

    served: list[tuple[str, type[Any], Callable[[Any], Awaitable[msgspec.Struct]]]] = [
        (subjects.TICKET_PORTAL_LIST, PortalTicketListRequest, handlers.list_tickets),
        (subjects.TICKET_PORTAL_SHOW, PortalTicketRequest, handlers.show_ticket),
        (subjects.TICKET_PORTAL_REPLY, PortalReplyRequest, handlers.reply),
        (subjects.TICKET_PORTAL_SUBMIT, PortalSubmitRequest, handlers.submit),
        (subjects.TICKET_PORTAL_FORMS, PortalFormsRequest, handlers.forms),
        (subjects.TICKET_PORTAL_ATTACHMENT, PortalAttachmentRequest, handlers.attachment),
    ]
    for subject, request_type, handler in served:
        serve_requests(
            runtime,
            subject=subject,
            queue=QUEUE,
            request_type=request_type,
            handler=handler,
            error_reply=error_reply,
        )
