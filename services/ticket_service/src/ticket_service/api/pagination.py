"""Opaque cursors for keyset pagination of the ticket list.

A cursor contains the sort it was made for, the last ticket's sort key and its id, as
base64url JSON. A cursor used with another sort is rejected, since its key would
mean something else there.
"""

import base64
import binascii
import json
import uuid
from datetime import datetime

from helpdesk_runtime.problems import ProblemError
from ticket_service.listing import Position, Sort, SortField, sort_key
from ticket_service.models import Ticket


def encode_cursor(ticket: Ticket, sort: Sort) -> str:
    """Return the cursor that continues the list after `ticket`."""
    key = sort_key(ticket, sort.field)
    value = key.isoformat() if isinstance(key, datetime) else key
    raw = json.dumps([sort.field.value, sort.order.value, value, str(ticket.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> Position:
    """Return the position in `cursor`, or raise a 400 problem naming `$.cursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        field, order, value, ticket_id = json.loads(base64.urlsafe_b64decode(padded))
        position = Position(_key(SortField(field), value), uuid.UUID(ticket_id))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise ProblemError(
            400,
            "Invalid cursor",
            f"The cursor {cursor!r} is not one this API returned; start again without a cursor.",
            field="$.cursor",
        ) from exc

    if (field, order) != (sort.field.value, sort.order.value):
        raise ProblemError(
            400,
            "Invalid cursor",
            f"The cursor continues a list sorted by {field} {order}, not by "
            f"{sort.field.value} {sort.order.value}; start again without a cursor.",
            field="$.cursor",
        )
    return position


def _key(field: SortField, value: object) -> object:
    if field in (SortField.PRIORITY, SortField.NUMBER):
        if not isinstance(value, int):
            raise TypeError(f"a {field.value} cursor needs an integer key")
        return value
    if not isinstance(value, str):
        raise TypeError(f"a {field.value} cursor needs a time key")
    key = datetime.fromisoformat(value)
    if key.tzinfo is None:
        raise ValueError("the cursor time has no time zone")
    return key
