"""The RFC 5322 messages of agent replies and of portal account mail.

Threading headers follow RFC 5322 section 3.6.4: the reply's own Message-ID, the id of
the message it replies to in In-Reply-To, and the thread's ids in References. With
them the customer's mail client files the reply under the conversation.
`Auto-Submitted` (RFC 3834) is left out on purpose, because a person wrote the reply
and the customer's auto-responders may answer it. `X-Helpdesk-Ticket` marks mail the
help desk sent, so a copy that loops back is recognised.
"""

import re
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from helpdesk_contracts.messages import AccountEmailRequested, EmailAddress, OutboundEmailRequested

TICKET_HEADER = "X-Helpdesk-Ticket"

_LINE_BREAKS = re.compile(r"[\r\n]+")

# RFC 5322 allows lines of up to 998 characters. At the default of 78 the email package
# turns a long Message-ID in In-Reply-To or References into an RFC 2047 encoded word,
# which mail clients do not read as an id, so the reply would not thread.
_MESSAGE_POLICY = policy.SMTP.clone(max_line_length=998)


class InvalidOutboundMessageError(Exception):
    """Raised when a request cannot become a valid message; retrying cannot fix it."""


def compose_message(request: OutboundEmailRequested) -> EmailMessage:
    """Build the message of `request`, ready for `MailSubmitter.submit`."""
    if not request.to:
        raise InvalidOutboundMessageError("the request has no To recipient")

    message = EmailMessage(policy=_MESSAGE_POLICY)
    message["From"] = _mailbox(request.sender)
    message["To"] = [_mailbox(recipient) for recipient in request.to]
    if request.cc:
        message["Cc"] = [_mailbox(recipient) for recipient in request.cc]
    if request.reply_to:
        message["Reply-To"] = [_mailbox(address) for address in request.reply_to]
    message["Subject"] = _single_line(request.subject)
    message["Date"] = format_datetime(request.occurred_at)
    message["Message-ID"] = f"<{request.message_id}>"
    if request.in_reply_to:
        message["In-Reply-To"] = f"<{request.in_reply_to}>"
    if request.references:
        message["References"] = " ".join(f"<{reference}>" for reference in request.references)
    message[TICKET_HEADER] = str(request.ticket_id)

    _set_body(message, request.text_body, request.html_body)
    return message


def compose_account_message(
    request: AccountEmailRequested, sender: EmailAddress, message_id: str
) -> EmailMessage:
    """Build the message of a portal account request, sent from `sender`."""
    message = EmailMessage(policy=_MESSAGE_POLICY)
    message["From"] = _mailbox(sender)
    message["To"] = _mailbox(request.to)
    message["Subject"] = _single_line(request.subject)
    message["Date"] = format_datetime(request.occurred_at)
    message["Message-ID"] = f"<{message_id}>"
    # A program wrote this message, so auto-responders must not reply to it (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    _set_body(message, request.text_body, request.html_body)
    return message


def _set_body(message: EmailMessage, text_body: str, html_body: str | None) -> None:
    # Quoted-printable keeps the body 7-bit, so relays without 8BITMIME take it too.
    message.set_content(text_body, charset="utf-8", cte="quoted-printable")
    if html_body:
        message.add_alternative(html_body, subtype="html", charset="utf-8", cte="quoted-printable")


def envelope_recipients(request: OutboundEmailRequested) -> list[str]:
    """Return the RCPT TO addresses: every To and Cc address, each once."""
    addresses = [recipient.address for recipient in (*request.to, *request.cc)]
    return list(dict.fromkeys(addresses))


def _mailbox(address: EmailAddress) -> Address:
    # NOTE: addresses with a non-ASCII local part (RFC 6531) are rejected here, because
    # the standard library's Address cannot hold them.
    try:
        return Address(display_name=_single_line(address.name), addr_spec=address.address)
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise InvalidOutboundMessageError(
            f"invalid mailbox address {address.address!r}: {exc}"
        ) from exc


def _single_line(value: str) -> str:
    # A line break inside a header value would start a new header field.
    return _LINE_BREAKS.sub(" ", value).strip()
