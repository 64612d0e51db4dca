"""New tickets from the portal's form and the anonymous web form: reading, storing, sending."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from litestar.datastructures import FormMultiDict

from helpdesk_contracts.enums import TicketSource
from helpdesk_contracts.messages import (
    EmailAddress,
    IntakeForm,
    PortalFieldError,
    PortalFormsRequest,
    PortalSubmitRequest,
    PortalViewer,
)
from helpdesk_runtime.logging import get_logger
from portal_api.context import Portal
from portal_api.form_input import read_form_fields
from portal_api.uploads import UploadRejectedError, present_files
from portal_api.web.ticket_access import field_errors_by_name, store_uploads

log = get_logger(__name__)

MAX_SUBJECT_LENGTH = 300
MAX_MESSAGE_LENGTH = 100_000


@dataclass
class Submission:
    """The outcome of a submitted form: the new ticket's number, or errors by field."""

    number: int | None = None
    errors: dict[str, str] = field(default_factory=dict)
    entered: dict[str, Any] = field(default_factory=dict)


async def load_forms(portal: Portal, *, anonymous: bool) -> tuple[IntakeForm, ...]:
    """Return the active intake forms, only the anonymous-enabled ones when `anonymous`."""
    reply = await portal.requests.forms(PortalFormsRequest(anonymous=anonymous))
    return reply.forms


def _page_errors(errors: tuple[PortalFieldError, ...]) -> dict[str, str]:
    """Return ticket_service's field errors keyed by the page's input names."""
    by_name = field_errors_by_name(errors)
    # The web form's "email" input holds the sender's address.
    if "sender" in by_name:
        by_name.setdefault("email", by_name.pop("sender"))
    return by_name


def choose_form(forms: tuple[IntakeForm, ...], raw_id: str | None) -> IntakeForm | None:
    """Return the form with the id `raw_id`, or None for the plain form without fields."""
    if not raw_id:
        return None
    try:
        requested = uuid.UUID(raw_id)
    except ValueError:
        return None
    return next((form for form in forms if form.id == requested), None)


def _text(data: FormMultiDict, name: str) -> str:
    value = data.get(name, "")
    return value.strip() if isinstance(value, str) else ""


async def submit_ticket(
    portal: Portal,
    data: FormMultiDict,
    form: IntakeForm | None,
    *,
    viewer: PortalViewer | None = None,
    sender: EmailAddress | None = None,
    known_errors: dict[str, str] | None = None,
) -> Submission:
    """Read the fixed inputs and the form's fields, store files and ask for the ticket.

    `known_errors` are the caller's own findings, such as an invalid sender address. Every
    input is still checked, so the page lists all mistakes at once. With any error, the
    ticket is only validated, not opened.
    """
    subject = _text(data, "subject")
    text_body = _text(data, "text_body")
    submission = Submission(entered={"subject": subject, "text_body": text_body})
    submission.errors.update(known_errors or {})
    if not text_body:
        submission.errors["text_body"] = "Enter a message."
    if not subject:
        submission.errors["subject"] = "Enter a short summary of your request."
    elif len(subject) > MAX_SUBJECT_LENGTH:
        submission.errors["subject"] = f"Keep the subject under {MAX_SUBJECT_LENGTH} characters."
    if len(text_body) > MAX_MESSAGE_LENGTH:
        submission.errors["text_body"] = f"Keep the message under {MAX_MESSAGE_LENGTH} characters."

    settings = portal.settings
    fields = None
    if form is not None:
        fields = await read_form_fields(form, data, portal.blobs, settings.max_attachment_bytes)
        submission.entered.update(fields.entered)
        submission.errors.update(fields.errors)

    try:
        attachments = await store_uploads(portal, present_files(data.getall("attachments", [])))
    except UploadRejectedError as exc:
        submission.errors["attachments"] = exc.message
        attachments = []
    if fields is not None:
        attachments += fields.attachments
    if len(attachments) > settings.max_attachments:
        submission.errors["attachments"] = f"Attach at most {settings.max_attachments} files."

    request = PortalSubmitRequest(
        viewer=viewer,
        sender=sender,
        source=TicketSource.PORTAL if viewer is not None else TicketSource.WEB,
        subject=subject,
        text_body=text_body,
        attachments=tuple(attachments[: settings.max_attachments]),
        form_id=form.id if form is not None else None,
        form_values=fields.values if fields is not None else {},
        validate_only=bool(submission.errors),
    )
    reply = await portal.requests.submit(request)

    if submission.errors:
        # ticket_service checked the rest (required fields, choices), so the page lists
        # every mistake at once; the portal's own message wins where both found one.
        for name, message in _page_errors(reply.field_errors).items():
            submission.errors.setdefault(name, message)
        return submission

    if reply.field_errors or reply.number is None:
        submission.errors = _page_errors(reply.field_errors) or {
            "subject": "The request could not be created. Please try again."
        }
        return submission

    submission.number = reply.number
    log.info("portal ticket submitted", number=reply.number, ticket_id=str(reply.ticket_id))
    return submission
