"""Recognising the help desk's own replies when they come back in.

A reply goes back to the support address when a customer put that address in Cc, or
when a forwarding rule sends it there. Taking it in would add the agent's reply to the
ticket a second time as customer mail, and a reply to that could start a mail loop.
Every outbound message carries `X-Helpdesk-Ticket`, and mail clients do not copy such
fields into their replies, so a top-level `X-Helpdesk-Ticket` marks mail this help
desk sent.
"""

import re
from email import policy
from email.parser import BytesHeaderParser

from email_gateway.outbound_message import TICKET_HEADER

_header_parser = BytesHeaderParser(policy=policy.compat32)
_END_OF_HEADER = re.compile(rb"\r?\n\r?\n")


def sent_ticket_id(raw: bytes) -> str | None:
    """Return the `X-Helpdesk-Ticket` value of `raw`, or None when it has none."""
    header_block = _END_OF_HEADER.split(raw, maxsplit=1)[0]
    headers = _header_parser.parsebytes(header_block)
    value = headers.get(TICKET_HEADER)
    if value is None:
        return None
    return str(value).strip()
