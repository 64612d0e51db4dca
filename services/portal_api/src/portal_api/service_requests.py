"""Core NATS requests to ticket_service and customer_service, the portal's only data source.

Every ticket request names the signed-in contact (`PortalViewer`); ticket_service checks
the scope itself and returns "not found" for a ticket the contact may not see.
"""

from typing import TypeVar

import msgspec
from nats.aio.client import Client as NatsClient
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import (
    ContactScopeReply,
    ContactScopeRequest,
    Message,
    PortalAttachmentReply,
    PortalAttachmentRequest,
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
    ResolveContactReply,
    ResolveContactRequest,
)
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.messaging import HEADER_CORRELATION_ID, encode

log = get_logger(__name__)

ReplyT = TypeVar("ReplyT", bound=msgspec.Struct)


class ServiceUnavailableError(Exception):
    """Raised when a service did not respond in time or replied with an error."""


class _ErrorProbe(msgspec.Struct):
    # Some reply types have only optional fields, so an ErrorReply would decode as an
    # empty reply (a ticket that is "not found"). The `error` key is checked first.
    error: str | None = None


_probe_decoder = msgspec.json.Decoder(_ErrorProbe)


class ServiceRequests:
    """Sends the portal's requests over one NATS connection and decodes the replies."""

    def __init__(self, connection: NatsClient, timeout_seconds: float) -> None:
        self._connection = connection
        self._timeout = timeout_seconds

    async def list_tickets(self, request: PortalTicketListRequest) -> PortalTicketListReply:
        return await self._request(subjects.TICKET_PORTAL_LIST, request, PortalTicketListReply)

    async def show_ticket(self, request: PortalTicketRequest) -> PortalTicketReply:
        return await self._request(subjects.TICKET_PORTAL_SHOW, request, PortalTicketReply)

    async def reply(self, request: PortalReplyRequest) -> PortalReplyReply:
        return await self._request(subjects.TICKET_PORTAL_REPLY, request, PortalReplyReply)

    async def submit(self, request: PortalSubmitRequest) -> PortalSubmitReply:
        return await self._request(subjects.TICKET_PORTAL_SUBMIT, request, PortalSubmitReply)

    async def forms(self, request: PortalFormsRequest) -> PortalFormsReply:
        return await self._request(subjects.TICKET_PORTAL_FORMS, request, PortalFormsReply)

    async def attachment(self, request: PortalAttachmentRequest) -> PortalAttachmentReply:
        return await self._request(
            subjects.TICKET_PORTAL_ATTACHMENT, request, PortalAttachmentReply
        )

    async def resolve_contact(self, request: ResolveContactRequest) -> ResolveContactReply:
        return await self._request(subjects.CUSTOMER_RESOLVE_CONTACT, request, ResolveContactReply)

    async def contact_scope(self, request: ContactScopeRequest) -> ContactScopeReply:
        return await self._request(subjects.CUSTOMER_CONTACT_SCOPE, request, ContactScopeReply)

    async def _request(self, subject: str, request: Message, reply_type: type[ReplyT]) -> ReplyT:
        headers = {HEADER_CORRELATION_ID: str(request.id)}
        try:
            response = await self._connection.request(
                subject, encode(request), timeout=self._timeout, headers=headers
            )
        except (NatsTimeoutError, NoRespondersError) as exc:
            log.warning("service request failed", subject=subject, error=repr(exc))
            raise ServiceUnavailableError(f"no reply on {subject}: {exc!r}") from exc

        try:
            probe = _probe_decoder.decode(response.data)
            if probe.error is not None:
                log.warning("service replied with an error", subject=subject, error=probe.error)
                raise ServiceUnavailableError(f"{subject} replied with an error: {probe.error}")
            return msgspec.json.decode(response.data, type=reply_type)
        except msgspec.DecodeError as exc:
            log.warning("service reply invalid", subject=subject, error=str(exc))
            raise ServiceUnavailableError(f"invalid reply on {subject}: {exc}") from exc
