"""The result of parsing one inbound email, and the error for input that cannot be one."""

from datetime import datetime

import msgspec

from helpdesk_contracts.messages import EmailAddress


class ParsedAttachment(msgspec.Struct, frozen=True, kw_only=True):
    """A MIME leaf part kept as a file, with its transfer encoding already decoded.

    `inline` marks parts meant to be shown inside the message (a `cid:` image of an HTML
    body or a part with `Content-Disposition: inline`). `content_id` has no angle brackets.
    """

    filename: str
    content_type: str
    content: bytes
    content_id: str | None = None
    inline: bool = False


class ParsedEmail(msgspec.Struct, frozen=True, kw_only=True):
    """An inbound email decoded into the fields a ticket needs.

    Message ids carry no angle brackets. `sent_at` is an aware UTC datetime, or None when
    the Date header is missing or unusable. `warnings` lists every defect the parser
    recovered from, in the order it met them. `new_text` is `text_body` without quoted
    history and signature (see `reply_text`). `signed` and `encrypted` state only what
    the message claims (see `crypto_state`).
    """

    message_id: str
    message_id_generated: bool
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    sender: EmailAddress
    to: tuple[EmailAddress, ...]
    cc: tuple[EmailAddress, ...]
    reply_to: tuple[EmailAddress, ...]
    subject: str
    sent_at: datetime | None
    original_date_header: str | None
    text_body: str
    html_body: str | None
    attachments: tuple[ParsedAttachment, ...]
    auto_submitted: bool
    auto_submitted_reason: str | None
    list_id: str | None
    thread_index: str | None
    warnings: tuple[str, ...]
    new_text: str = ""
    signed: bool = False
    encrypted: bool = False


# The public API fixes this name, so it keeps no "Error" suffix.
class UnparseableEmail(Exception):  # noqa: N818
    """Raised when raw input cannot become a ticket. `reason` is a one-sentence explanation."""

    reason: str

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
