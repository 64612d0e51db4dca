"""Ticket reads and writes shared by the pages and the JSON API.

Anything ticket_service reports as missing, out of the viewer's scope or not visible
becomes the same 404, so a customer cannot tell another customer's ticket from none.
"""

import asyncio
import re
from dataclasses import dataclass, field

from litestar.datastructures import UploadFile

from helpdesk_contracts.enums import TicketStatus
from helpdesk_contracts.messages import (
    AttachmentInfo,
    PortalAttachmentRequest,
    PortalFieldError,
    PortalReplyRequest,
    PortalTicketListReply,
    PortalTicketListRequest,
    PortalTicketRequest,
    PortalTicketView,
)
from helpdesk_runtime.logging import get_logger
from portal_api.accounts import Account
from portal_api.context import Portal
from portal_api.uploads import UploadRejectedError, check_count, store_upload
from portal_api.web.auth import viewer_of
from portal_api.web.rendering import PageNotFoundError

log = get_logger(__name__)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_SEARCH_LENGTH = 200
MAX_REPLY_LENGTH = 100_000

# The list's status filter: a name in the URL and the statuses it stands for.
STATUS_FILTERS: dict[str, tuple[TicketStatus, ...]] = {
    "": (),
    "active": (
        TicketStatus.OPEN,
        TicketStatus.IN_PROGRESS,
        TicketStatus.PENDING,
        TicketStatus.WAITING_ON_CUSTOMER,
    ),
    "waiting": (TicketStatus.WAITING_ON_CUSTOMER,),
    "done": (TicketStatus.RESOLVED, TicketStatus.CLOSED),
}


@dataclass
class ReplyOutcome:
    """The outcome of posting a reply: the new interaction, or errors to show by the form."""

    interaction_id: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


async def list_tickets(
    portal: Portal, account: Account, status_filter: str, search: str, after: str | None
) -> PortalTicketListReply:
    """Return one page of the viewer's tickets."""
    request = PortalTicketListRequest(
        viewer=viewer_of(account),
        statuses=STATUS_FILTERS.get(status_filter, ()),
        search=search.strip()[:MAX_SEARCH_LENGTH] or None,
        limit=portal.settings.page_size,
        after=after or None,
    )
    return await portal.requests.list_tickets(request)


async def load_ticket(portal: Portal, account: Account, number: int) -> PortalTicketView:
    """Return the ticket page's data, or raise 404 when the viewer may not see it."""
    reply = await portal.requests.show_ticket(
        PortalTicketRequest(viewer=viewer_of(account), number=number)
    )
    if reply.ticket is None:
        raise PageNotFoundError()
    return reply.ticket


async def post_reply(
    portal: Portal, account: Account, number: int, text: str, uploads: list[UploadFile]
) -> ReplyOutcome:
    """Store the uploads and send the reply; raise 404 when the ticket is not the viewer's."""
    text = text.strip()
    if not text and not uploads:
        return ReplyOutcome(errors={"text_body": "Write a message or attach a file."})
    if len(text) > MAX_REPLY_LENGTH:
        return ReplyOutcome(
            errors={"text_body": f"Keep the message under {MAX_REPLY_LENGTH} characters."}
        )

    try:
        attachments = await store_uploads(portal, uploads)
    except UploadRejectedError as exc:
        return ReplyOutcome(errors={"attachments": exc.message})

    reply = await portal.requests.reply(
        PortalReplyRequest(
            viewer=viewer_of(account),
            number=number,
            text_body=text,
            attachments=tuple(attachments),
        )
    )
    if not reply.found:
        raise PageNotFoundError()
    if reply.field_errors:
        return ReplyOutcome(errors=field_errors_by_name(reply.field_errors))
    log.info("portal reply posted", number=number, interaction_id=str(reply.interaction_id))
    return ReplyOutcome(interaction_id=str(reply.interaction_id))


async def store_uploads(portal: Portal, uploads: list[UploadFile]) -> list[AttachmentInfo]:
    """Check the count, then store each upload; raise `UploadRejectedError` on a limit."""
    check_count(uploads, portal.settings.max_attachments)
    return [
        await store_upload(portal.blobs, upload, portal.settings.max_attachment_bytes)
        for upload in uploads
    ]


async def load_attachment(
    portal: Portal, account: Account, number: int, sha256: str
) -> tuple[AttachmentInfo, bytes]:
    """Return a visible attachment and its content, or raise 404."""
    if not _SHA256.match(sha256):
        raise PageNotFoundError()
    reply = await portal.requests.attachment(
        PortalAttachmentRequest(viewer=viewer_of(account), number=number, sha256=sha256)
    )
    if reply.attachment is None:
        raise PageNotFoundError()
    content = await asyncio.to_thread(portal.blobs.read, sha256)
    if content is None:
        log.error("attachment missing from blob store", number=number, sha256=sha256)
        raise PageNotFoundError()
    return reply.attachment, content


def field_errors_by_name(errors: tuple[PortalFieldError, ...]) -> dict[str, str]:
    """Return ticket_service's field errors keyed by field, the first message of each."""
    by_name: dict[str, str] = {}
    for error in errors:
        by_name.setdefault(error.field, error.message)
    return by_name
