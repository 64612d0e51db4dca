"""The `InboundEmailReceived` event of a parsed message, sized to fit one NATS message.

NATS rejects a message larger than the server's `max_payload` (1 MiB by default), while
an accepted email may be 25 MiB. Attachments travel as references to blob files, but
a huge body could still exceed the limit. The event then leaves out the HTML body and
the reply text (`new_text`), and then cuts the text body until it fits. Each cut is
noted in `parse_warnings`. The raw
message in PostgreSQL keeps everything.
"""

import hashlib
import uuid

import msgspec

from email_gateway.parsing import ParsedEmail
from email_gateway.parsing.auto_reply import is_automatic_reply
from email_gateway.raw_store import StoredRaw
from helpdesk_contracts.messages import AttachmentInfo, InboundEmailReceived
from helpdesk_runtime.messaging import encode

# Event ids are derived from the raw message id, so publishing a raw message again
# (a client retry, the republisher) produces the same event.
_EVENT_ID_NAMESPACE = uuid.UUID("5b7f3e52-6f1c-4d8e-9a57-2f0f3f6d2c41")

# Room left under max_payload for the JetStream headers of the publish.
HEADER_ALLOWANCE_BYTES = 8 * 1024


class EventTooLargeError(Exception):
    """Raised when the event exceeds the payload limit even without any body text."""


def deduplication_id(message_id: str) -> str:
    """Return the `Nats-Msg-Id` of the event for a Message-ID.

    JetStream drops a second publish with the same id inside the stream's duplicate
    window, so two raw messages with one Message-ID yield one event. Hashing keeps the
    header short and free of characters that NATS headers cannot carry.
    """
    digest = hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"mail-{digest}"


def build_event(
    parsed: ParsedEmail, stored: StoredRaw, attachments: tuple[AttachmentInfo, ...]
) -> InboundEmailReceived:
    """Combine the parsed fields, the envelope and the stored attachments into the event."""
    return InboundEmailReceived(
        id=uuid.uuid5(_EVENT_ID_NAMESPACE, str(stored.id)),
        raw_message_id=stored.id,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        sender=parsed.sender,
        to=parsed.to,
        cc=parsed.cc,
        reply_to=parsed.reply_to,
        envelope_recipients=stored.envelope_recipients,
        subject=parsed.subject,
        sent_at=parsed.sent_at,
        original_date_header=parsed.original_date_header,
        received_at=stored.received_at,
        text_body=parsed.text_body,
        html_body=parsed.html_body,
        attachments=attachments,
        auto_submitted=parsed.auto_submitted,
        auto_submitted_reason=parsed.auto_submitted_reason,
        automatic_reply=is_automatic_reply(parsed.auto_submitted_reason),
        list_id=parsed.list_id,
        thread_index=parsed.thread_index,
        parse_warnings=parsed.warnings,
        new_text=parsed.new_text,
        signed=parsed.signed,
        encrypted=parsed.encrypted,
    )


def fit_event(event: InboundEmailReceived, max_bytes: int) -> InboundEmailReceived:
    """Return `event`, with bodies left out or cut so that its JSON has at most `max_bytes`."""
    size = len(encode(event))
    if size <= max_bytes:
        return event

    if event.html_body is not None:
        event = _with_warning(
            msgspec.structs.replace(event, html_body=None),
            f"the HTML body was left out because the event exceeded {max_bytes} bytes; "
            "the raw message keeps it",
        )
        size = len(encode(event))

    if size > max_bytes and event.new_text is not None:
        event = _with_warning(
            msgspec.structs.replace(event, new_text=None),
            f"the reply text was left out because the event exceeded {max_bytes} bytes",
        )
        size = len(encode(event))

    original_length = len(event.text_body)
    text = event.text_body.encode("utf-8", "surrogatepass")
    while size > max_bytes and text:
        # JSON escaping only ever grows text, so cutting the excess from the UTF-8 bytes
        # removes at least as many bytes from the encoded event.
        text = text[: max(0, len(text) - (size - max_bytes) - 1024)]
        shorter = text.decode("utf-8", "ignore")
        event = msgspec.structs.replace(event, text_body=shorter)
        size = len(encode(event))

    if size > max_bytes:
        raise EventTooLargeError(
            f"the parsed message needs {size} bytes without its body, more than the "
            f"NATS limit of {max_bytes} bytes"
        )

    if len(event.text_body) < original_length:
        event = _with_warning(
            event,
            f"the text body was cut from {original_length} to {len(event.text_body)} "
            f"characters to fit the NATS limit of {max_bytes} bytes; the raw message keeps it",
        )
    return event


def _with_warning(event: InboundEmailReceived, warning: str) -> InboundEmailReceived:
    return msgspec.structs.replace(event, parse_warnings=(*event.parse_warnings, warning))
