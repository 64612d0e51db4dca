"""Opaque cursors for keyset pagination of the ticket list."""

import base64
import binascii
import uuid
from datetime import datetime

from helpdesk_runtime.problems import ProblemError
from ticket_service.listing import Position
from ticket_service.models import Ticket


def encode_cursor(ticket: Ticket) -> str:
    """Return the cursor that continues the list after `ticket`."""
    raw = f"{ticket.created_at.isoformat()}|{ticket.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    """Return the position in `cursor`, or raise a 400 problem naming `$.cursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, ticket_id = base64.urlsafe_b64decode(padded).decode().split("|")
        position = Position(datetime.fromisoformat(created_at), uuid.UUID(ticket_id))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ProblemError(
            400,
            "Invalid cursor",
            f"The cursor {cursor!r} is not one this API returned; start again without a cursor.",
            field="$.cursor",
        ) from exc

    if position.created_at.tzinfo is None:
        raise ProblemError(400, "Invalid cursor", "The cursor has no time zone.", field="$.cursor")
    return position
