"""Read delivery status notifications (bounces): the failed message, its recipients, the reason.

A notification is recognised by its top-level `multipart/report; report-type=delivery-status`
(RFC 6522 and RFC 3464), or by a MAILER-DAEMON sender, which is how MTAs that send
plain-text bounces (qmail, older Exim) sign them. A postmaster sender alone does not
count, because people write from postmaster mailboxes too.

The bounced message is identified by the ids the report carries: an `Original-Message-ID`
field in the report, the Message-ID of the returned `message/rfc822` or
`text/rfc822-headers` part, and the `X-Helpdesk-Ticket` header of the returned copy.
Plain-text bounces quote the returned headers in the body, so header lines are also
searched for in the text of every part.
"""

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message

from email_gateway.parsing.message_ids import extract_message_ids

_BOUNCE_SENDER = "mailer-daemon"
_TICKET_HEADER = "x-helpdesk-ticket"
_FAILED_ACTIONS = frozenset({"failed"})

# A header line quoted in a body, e.g. "Message-ID: <abc@host>" inside a plain-text bounce.
_QUOTED_MESSAGE_ID = re.compile(r"^\s*(?:original-)?message-id:\s*(<[^<>\s]+>)", re.I | re.M)
_QUOTED_TICKET = re.compile(r"^\s*x-helpdesk-ticket:\s*([0-9a-fA-F-]{36})\s*$", re.I | re.M)
_FAILED_RECIPIENT_TYPE = re.compile(r"^[^;]*;\s*", re.S)


@dataclass(frozen=True)
class FailedRecipient:
    """One recipient a report names as failed, with its RFC 3463 status and the remote reply."""

    recipient: str
    status: str
    diagnostic: str


@dataclass(frozen=True)
class DeliveryReport:
    """The bounced message's ids and failed recipients, as a bounce reports them.

    `message_ids` are candidate ids of the bounced message without angle brackets, best
    first. `recipients` is empty when the report names no failed recipient.
    `has_status_part` is true when the report has a `message/delivery-status` part, so an
    empty `recipients` then means only delays or successful deliveries were reported.
    """

    message_ids: tuple[str, ...]
    ticket_ids: tuple[str, ...]
    recipients: tuple[FailedRecipient, ...]
    has_status_part: bool


def is_delivery_report(message: Message) -> bool:
    """Return whether the top-level headers mark `message` as a delivery status notification."""
    if message.get_content_type() == "multipart/report":
        report_type = message.get_param("report-type")
        if isinstance(report_type, str) and report_type.lower() == "delivery-status":
            return True

    return _BOUNCE_SENDER in str(message.get("From", "")).lower()


def read_delivery_report(raw: bytes) -> DeliveryReport | None:
    """Return the report in `raw`, or None when `raw` is not a delivery status notification."""
    message = message_from_bytes(raw, policy=policy.compat32)
    if not is_delivery_report(message):
        return None

    message_ids: list[str] = []
    ticket_ids: list[str] = []
    recipients: list[FailedRecipient] = []
    has_status_part = False
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            has_status_part = True
            recipients.extend(_failed_recipients(part, message_ids))
        elif content_type == "message/rfc822":
            _collect_returned_headers(_embedded_message(part), message_ids, ticket_ids)
        elif content_type == "text/rfc822-headers":
            returned = message_from_bytes(_payload_bytes(part), policy=policy.compat32)
            _collect_returned_headers(returned, message_ids, ticket_ids)
        elif part.get_content_maintype() == "text":
            _collect_quoted_headers(_payload_text(part), message_ids, ticket_ids)

    if not has_status_part:
        recipients.extend(_exim_failed_recipients(message))

    return DeliveryReport(
        message_ids=tuple(dict.fromkeys(message_ids)),
        ticket_ids=tuple(dict.fromkeys(ticket_ids)),
        recipients=tuple(recipients),
        has_status_part=has_status_part,
    )


def _failed_recipients(part: Message, message_ids: list[str]) -> list[FailedRecipient]:
    """Read the per-recipient field groups of a `message/delivery-status` part (RFC 3464 2.3).

    The standard library parses the part into one Message per field group: the first is
    the per-message group, the others one per recipient.
    """
    groups = [group for group in part.get_payload() if isinstance(group, Message)]
    if not groups:
        groups = _field_groups(_payload_text(part))

    failed: list[FailedRecipient] = []
    for group in groups:
        message_ids.extend(extract_message_ids(str(group.get("Original-Message-ID", ""))))

        recipient = group.get("Final-Recipient") or group.get("Original-Recipient")
        if recipient is None:
            continue
        action = str(group.get("Action", "")).strip().lower()
        if action and action not in _FAILED_ACTIONS:
            continue

        failed.append(
            FailedRecipient(
                recipient=_FAILED_RECIPIENT_TYPE.sub("", str(recipient)).strip(),
                status=str(group.get("Status", "")).strip(),
                diagnostic=_single_line(str(group.get("Diagnostic-Code", ""))),
            )
        )
    return failed


def _field_groups(text: str) -> list[Message]:
    # A part that arrived base64 or quoted-printable encoded is not split into groups.
    return [
        message_from_bytes(block.encode("utf-8", "replace"), policy=policy.compat32)
        for block in re.split(r"\r?\n\s*\r?\n", text)
        if block.strip()
    ]


def _exim_failed_recipients(message: Message) -> list[FailedRecipient]:
    """Return the recipients of Exim's X-Failed-Recipients header, with no status."""
    value = str(message.get("X-Failed-Recipients", ""))
    addresses = [address.strip() for address in value.split(",") if address.strip()]
    return [FailedRecipient(recipient=address, status="", diagnostic="") for address in addresses]


def _collect_returned_headers(
    returned: Message | None, message_ids: list[str], ticket_ids: list[str]
) -> None:
    if returned is None:
        return
    message_ids.extend(extract_message_ids(str(returned.get("Message-ID", ""))))
    ticket = returned.get(_TICKET_HEADER)
    if ticket is not None:
        ticket_ids.append(str(ticket).strip())


def _collect_quoted_headers(text: str, message_ids: list[str], ticket_ids: list[str]) -> None:
    for match in _QUOTED_MESSAGE_ID.finditer(text):
        message_ids.extend(extract_message_ids(match.group(1)))
    ticket_ids.extend(match.group(1) for match in _QUOTED_TICKET.finditer(text))


def _embedded_message(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    return None


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    # A part with subparts has no decodable payload of its own.
    return str(part.get_payload()).encode("utf-8", "replace")


def _payload_text(part: Message) -> str:
    charset = part.get_content_charset() or "utf-8"
    try:
        return _payload_bytes(part).decode(charset, "replace")
    except LookupError:
        return _payload_bytes(part).decode("utf-8", "replace")


def _single_line(value: str) -> str:
    return " ".join(value.split())
