"""Detect messages that a machine sent: auto-replies, bounces and bulk mail.

A help desk must not reply to these, or two robots can mail each other forever
(RFC 3834 section 1). The first matching rule gives the reason.
"""

from email_gateway.parsing.headers import HeaderBlock
from helpdesk_contracts.messages import EmailAddress

# Precedence has no standard, but mailing list managers set "list", bulk senders "bulk"
# or "junk", and vacation programs "auto_reply".
_AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})

# Vendor headers set by auto-responders that predate RFC 3834.
_AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder")

# Local parts of the mailboxes that MTAs send delivery status notifications from.
_BOUNCE_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})

_FALSE_VALUES = frozenset({"", "no", "false", "0", "off"})


def detect_auto_submitted(
    headers: HeaderBlock,
    content_type: str,
    report_type: str | None,
    sender: EmailAddress,
) -> str | None:
    """Return why the message counts as automatically submitted, or None for human mail.

    `content_type` and `report_type` come from the top-level Content-Type, and `sender`
    is the address the ticket would be opened for.
    """
    return _auto_reply_reason(headers) or _bounce_reason(headers, content_type, report_type, sender)


def is_automatic_reply(reason: str | None) -> bool:
    """Return whether a reason of `detect_auto_submitted` marks an answer to another message.

    Out-of-office and vacation replies answer a message; bulk mail, list mail and
    automatically generated notices (RFC 3834 "auto-generated") do not.
    """
    if reason is None:
        return False
    name, _, value = reason.partition(": ")
    if name == "Auto-Submitted":
        return value == "auto-replied"
    if name == "Precedence":
        return value == "auto_reply"
    return name in _AUTO_REPLY_HEADERS


def _auto_reply_reason(headers: HeaderBlock) -> str | None:
    """Return the header that marks an auto-reply or bulk mail, or None."""
    auto_submitted = _first_token(headers.get("Auto-Submitted"))
    # RFC 3834 defines Auto-Submitted: any value other than "no" marks automatic mail.
    if auto_submitted is not None and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"

    for name in _AUTO_REPLY_HEADERS:
        value = _first_token(headers.get(name))
        if value is not None and value not in _FALSE_VALUES:
            return f"{name}: {value}"

    precedence = _first_token(headers.get("Precedence"))
    if precedence in _AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"

    # A mailing list distributes mail to many readers (RFC 2919), so answering the list
    # automatically would reach all of them.
    list_id = headers.get("List-Id")
    if list_id is not None and list_id.strip():
        return f"List-Id: {list_id.strip()}"
    return None


def _bounce_reason(
    headers: HeaderBlock, content_type: str, report_type: str | None, sender: EmailAddress
) -> str | None:
    """Return what marks the message as a delivery or disposition report, or None."""
    # RFC 6522 reports carry delivery status notifications (RFC 3464) and message
    # disposition notifications (RFC 8098), both generated without a human.
    if content_type == "multipart/report":
        return f"multipart/report; report-type={report_type or 'unknown'}"
    if content_type == "message/delivery-status":
        return "message/delivery-status"

    # Exim bounces name the failed recipients here, often without multipart/report.
    if "X-Failed-Recipients" in headers:
        return "X-Failed-Recipients header of a bounce"

    local_part = sender.address.rpartition("@")[0].lower()
    if local_part in _BOUNCE_LOCAL_PARTS:
        return f"sender {sender.address}"
    return None


def _first_token(value: str | None) -> str | None:
    """Return the lower-case value before any parameters or comments."""
    if value is None:
        return None
    return value.split(";", 1)[0].split("(", 1)[0].strip().lower()
