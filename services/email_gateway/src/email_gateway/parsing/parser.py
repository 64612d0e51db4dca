"""Turn the raw bytes of an inbound email into a ParsedEmail.

`parse_email` raises only `UnparseableEmail`, and only for input that cannot become a
ticket:

- empty input;
- binary input that is not a MIME message, recognised by the OLE2 signature of Outlook
  .msg files or a NUL byte on the first line;
- input without a header block, meaning no RFC 5322 or MIME header field (From, Date,
  Subject, Received, Content-Type and the like) before the first body line;
- a message without a usable sender address in From, then Sender, then Return-Path,
  because a ticket needs a customer to reply to. A usable address has a local part, "@"
  and a domain. A delivery status notification (see `delivery_status`) is the exception.
  MTAs often sign it "MAILER-DAEMON" with no domain, and it never opens a ticket. It
  gets the placeholder sender `mailer-daemon@invalid` (RFC 2606 reserves `.invalid`)
  and a warning, so the gateway can still match it to the message that bounced.

Everything else parses, with each recovered defect listed in `ParsedEmail.warnings`.
Any other exception raised while parsing is a bug in this package or in the standard
library. It is converted to UnparseableEmail with a reason that names it, so that one
message cannot stop the gateway. BaseExceptions that are not Exceptions, such as
KeyboardInterrupt, pass through.

The standard library parses the MIME structure with the compat32 policy. Under the
default policy, CPython 3.11 raises when it builds header objects for some real-world
values, such as a folded Message-ID whose local part starts with "[" or a Date with
absurd numbers. It also cannot parse a message at all when an RFC 2231 parameter does
not decode in its charset. Header fields are therefore decoded by this package.
"""

import re
from email import message_from_bytes, policy
from email.message import Message

from email_gateway.parsing.addresses import parse_address_list
from email_gateway.parsing.auto_reply import detect_auto_submitted
from email_gateway.parsing.bodies import (
    MessageBodies,
    collect_bodies,
    content_type_of,
    first_body_codec,
)
from email_gateway.parsing.calendar_invites import describe_invitations
from email_gateway.parsing.crypto_state import crypto_state
from email_gateway.parsing.dates import parse_date
from email_gateway.parsing.delivery_status import is_delivery_report
from email_gateway.parsing.encoded_words import decode_encoded_words
from email_gateway.parsing.headers import HeaderBlock
from email_gateway.parsing.html_sanitize import sanitize_html
from email_gateway.parsing.html_text import html_to_text
from email_gateway.parsing.input_checks import check_raw_input, require_header_block
from email_gateway.parsing.message_ids import extract_message_ids, generated_message_id
from email_gateway.parsing.model import ParsedEmail, UnparseableEmail
from email_gateway.parsing.raw_repairs import (
    normalize_line_endings,
    remove_space_before_colon,
    repair_unindented_continuations,
)
from email_gateway.parsing.reply_text import new_reply_text
from helpdesk_contracts.messages import EmailAddress

_SENDER_FIELDS = ("From", "Sender", "Return-Path")
_CAMEL_CASE_WORD = re.compile(r"(?<!^)(?=[A-Z])")
_LIST_ID = re.compile(r"<([^<>]+)>")
_REPORT_SENDER = "mailer-daemon@invalid"


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse one raw RFC 5322 message; raise UnparseableEmail when it cannot become a ticket."""
    try:
        return _parse(raw)
    except UnparseableEmail:
        raise
    except Exception as exc:
        reason = f"the parser failed with {type(exc).__name__}: {exc}"
        raise UnparseableEmail(reason[:500]) from exc


def _parse(raw: bytes) -> ParsedEmail:
    raw = bytes(raw)
    check_raw_input(raw)

    warnings: list[str] = []
    repaired = normalize_line_endings(raw)
    repaired = remove_space_before_colon(repaired, warnings)
    repaired = repair_unindented_continuations(repaired, warnings)
    message = message_from_bytes(repaired, policy=policy.compat32)
    require_header_block(message)

    body_codec = first_body_codec(message)
    headers = HeaderBlock(message, body_codec, warnings)
    sender = _find_sender(headers, warnings, is_delivery_report(message))

    message_id, message_id_generated = _message_id(headers, raw, warnings)
    original_date = headers.get("Date")
    sent_at = parse_date(original_date, warnings)

    bodies = collect_bodies(message, body_codec, warnings)
    text_body, html_body = _bodies_as_text(bodies)
    new_text = new_reply_text(text_body)
    invitations = describe_invitations(tuple(bodies.attachments))
    if invitations:
        text_body = f"{text_body}\n\n{invitations}".strip()
        new_text = f"{new_text}\n\n{invitations}".strip()
    warnings.extend(_parser_defects(message))

    content_type = content_type_of(message)
    crypto = crypto_state(message, text_body)
    auto_reason = detect_auto_submitted(headers, content_type, _report_type(message), sender)

    return ParsedEmail(
        message_id=message_id,
        message_id_generated=message_id_generated,
        in_reply_to=_ids_in(headers, "In-Reply-To", warnings),
        references=_ids_in(headers, "References", warnings),
        sender=sender,
        to=_addresses(headers, "To", warnings),
        cc=_addresses(headers, "Cc", warnings),
        reply_to=_addresses(headers, "Reply-To", warnings),
        subject=headers.text("Subject") or "",
        sent_at=sent_at,
        original_date_header=original_date.strip() if original_date is not None else None,
        text_body=text_body,
        html_body=html_body,
        attachments=tuple(bodies.attachments),
        auto_submitted=auto_reason is not None,
        auto_submitted_reason=auto_reason,
        list_id=_list_id(headers),
        thread_index=_stripped_or_none(headers.get("Thread-Index")),
        warnings=tuple(dict.fromkeys(warnings)),
        new_text=new_text,
        signed=crypto.signed,
        encrypted=crypto.encrypted,
    )


def _find_sender(headers: HeaderBlock, warnings: list[str], delivery_report: bool) -> EmailAddress:
    """Return the first usable address of From, Sender or Return-Path (RFC 5322 3.6.2)."""
    for name in _SENDER_FIELDS:
        value = headers.get(name)
        if value is None:
            continue

        addresses = parse_address_list(value, warnings, field=name)
        if addresses:
            if name != "From":
                warnings.append(f"no usable From address; the sender was taken from {name}")
            return addresses[0]

    if delivery_report:
        warnings.append(f"no usable sender in a delivery report; using {_REPORT_SENDER}")
        return EmailAddress(_REPORT_SENDER, "Mail Delivery System")
    raise UnparseableEmail("no sender address in From, Sender or Return-Path")


def _ids_in(headers: HeaderBlock, name: str, warnings: list[str]) -> tuple[str, ...]:
    """Return the message ids in header `name`, decoding RFC 2047 encoded words first.

    RFC 2047 forbids encoded words in a msg-id, but Python's email package writes a
    header line longer than 78 characters as encoded words, ids included, and other
    senders do the same. Without decoding, such a reply would not thread.
    """
    value = headers.get(name)
    if value is None:
        return ()
    return extract_message_ids(decode_encoded_words(value, warnings, source=f"{name} header"))


def _message_id(headers: HeaderBlock, raw: bytes, warnings: list[str]) -> tuple[str, bool]:
    ids = _ids_in(headers, "Message-ID", warnings)
    if ids:
        return ids[0], False

    warnings.append("no Message-ID; generated one from the SHA-256 of the message")
    return generated_message_id(raw), True


def _addresses(headers: HeaderBlock, name: str, warnings: list[str]) -> tuple[EmailAddress, ...]:
    values = headers.get_all(name)
    return tuple(
        address for value in values for address in parse_address_list(value, warnings, field=name)
    )


def _bodies_as_text(bodies: MessageBodies) -> tuple[str, str | None]:
    """Return the text body and the sanitized HTML body.

    The text body joins the plain parts. A message without plain text gets the text of
    its HTML instead, so every ticket has readable text.
    """
    text_body = "\n\n".join(part.strip("\n") for part in bodies.plain_parts if part.strip())
    if not bodies.html_parts:
        return text_body.rstrip(), None

    html = "\n".join(bodies.html_parts)
    if not text_body:
        text_body = html_to_text(html)

    sanitized = sanitize_html(html).strip()
    return text_body.rstrip(), sanitized or None


def _parser_defects(message: Message) -> list[str]:
    """Describe the structural defects the standard library parser recovered from.

    Embedded messages are skipped, because their defects do not affect this message.
    """
    described: list[str] = []
    pending = [message]
    while pending:
        part = pending.pop()
        content_type = content_type_of(part)
        for defect in part.defects:
            words = _CAMEL_CASE_WORD.sub(" ", type(defect).__name__).lower()
            words = words.removesuffix(" defect")
            described.append(f"MIME defect in {content_type} part: {words}")

        if part.is_multipart() and not content_type.startswith("message/"):
            children = [child for child in part.get_payload() if isinstance(child, Message)]
            pending.extend(reversed(children))
    return described


def _report_type(message: Message) -> str | None:
    value = message.get_param("report-type")
    return value.lower() if isinstance(value, str) else None


def _list_id(headers: HeaderBlock) -> str | None:
    """Return the list identifier of List-Id (RFC 2919), the part between angle brackets."""
    value = headers.get("List-Id")
    if value is None:
        return None

    match = _LIST_ID.search(value)
    return _stripped_or_none(match.group(1) if match else value)


def _stripped_or_none(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None
