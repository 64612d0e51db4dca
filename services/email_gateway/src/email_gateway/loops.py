"""Recognising the help desk's own replies when they come back in.

A reply goes back to the support address when a customer put that address in Cc, or
when a forwarding rule sends it there. Taking it in would add the agent's reply to the
ticket a second time as customer mail, and a reply to that could start a mail loop.
Every outbound message carries `X-Helpdesk-Ticket`, and mail clients do not copy such
fields into their replies, so a top-level `X-Helpdesk-Ticket` marks mail this help
desk sent. A forwarder may drop that field, so a Message-ID in ticket_service's format
for outbound mail, `ticket.<ticket id>.<interaction id>@<domain>`, marks it too: mail
clients give each message a new Message-ID and never reuse the one they reply to.
"""

import re
from email import policy
from email.parser import BytesHeaderParser

from email_gateway.outbound_message import TICKET_HEADER

_header_parser = BytesHeaderParser(policy=policy.compat32)
_END_OF_HEADER = re.compile(rb"\r?\n\r?\n")
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_OUTBOUND_MESSAGE_ID = re.compile(rf"^ticket\.(?P<ticket>{_UUID})\.{_UUID}@.+$", re.IGNORECASE)


def sent_ticket_id(raw: bytes, message_id: str) -> str | None:
    """Return the ticket id of mail the help desk sent itself, or None for other mail.

    The id comes from the `X-Helpdesk-Ticket` field of `raw`, else from `message_id`
    (without angle brackets) when it has the format of the help desk's own ids.
    """
    header_block = _END_OF_HEADER.split(raw, maxsplit=1)[0]
    headers = _header_parser.parsebytes(header_block)
    value = headers.get(TICKET_HEADER)
    if value is not None:
        return str(value).strip()

    match = _OUTBOUND_MESSAGE_ID.match(message_id)
    return match.group("ticket") if match else None
