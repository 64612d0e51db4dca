"""Request examples and problem responses that the agent API's OpenAPI document shows.

The request body types here are the schemas of `schemas` with an example attached, so a
reader of `/schema/swagger` sees a working body for each call, and every route lists the
problem details (RFC 9457) it can answer with.
"""

from typing import Annotated, Any

import msgspec
from litestar.enums import RequestEncodingType
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body

from helpdesk_runtime.problems import PROBLEM_JSON
from ticket_service.api.schemas import (
    AssigneeAdd,
    BulkUpdate,
    MergeCreate,
    NoteCreate,
    ReplyCreate,
    TagsReplace,
    TicketCreate,
    TicketUpdate,
)

_TICKET_ID = "0b6a1f9e-5a1e-4d6b-9f53-2f0c1d6b7a11"
_OTHER_TICKET_ID = "7c2d4e1a-3b5f-4a8e-9d10-6e2f8a9b0c33"


class ProblemFieldError(msgspec.Struct, kw_only=True):
    """One invalid input: its JSON path and what is wrong with it."""

    field: str
    detail: str


class ProblemDetails(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem; `errors` names each invalid field of a 400 or 422."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemFieldError] | None = None


def _body(example: dict[str, Any], summary: str) -> Any:
    return Body(
        media_type=RequestEncodingType.JSON,
        examples=[Example(summary=summary, value=example)],
    )


TicketCreateBody = Annotated[
    TicketCreate,
    _body(
        {
            "subject": "Invoice 2024-118 shows the wrong VAT rate",
            "text": "Customer called: the March invoice uses 19 % instead of 7 %.",
            "requester_email": "jane@acme.example",
            "requester_name": "Jane Roe",
            "source": "manual",
            "priority": "High",
            "tags": ["billing"],
        },
        "A ticket an agent opens after a phone call",
    ),
]
TicketUpdateBody = Annotated[
    TicketUpdate,
    _body(
        {"status": "Waiting on Customer", "priority": "Urgent", "assigned_team": "billing"},
        "Change status, priority and team in one call",
    ),
]
ReplyCreateBody = Annotated[
    ReplyCreate,
    _body({"text": "We corrected the invoice; the new one is attached."}, "An email reply"),
]
NoteCreateBody = Annotated[
    NoteCreate,
    _body(
        {"text": "@sam please check the VAT table for March.", "type": "INTERNAL_NOTE"},
        "An internal note that mentions an agent",
    ),
]
AssigneeAddBody = Annotated[AssigneeAdd, _body({"agent": "sam"}, "Add an assignee")]
TagsReplaceBody = Annotated[TagsReplace, _body({"tags": ["billing", "vat"]}, "Replace the tags")]
MergeCreateBody = Annotated[
    MergeCreate, _body({"into": _OTHER_TICKET_ID}, "Merge this ticket into another")
]
BulkUpdateBody = Annotated[
    BulkUpdate,
    _body(
        {
            "tickets": [{"id": _TICKET_ID, "version": 4}, {"id": _OTHER_TICKET_ID}],
            "changes": {"status": "Closed", "add_tags": ["spam"]},
        },
        "Close two tickets and tag them",
    ),
]


def _problem(status: int, title: str, detail: str, description: str, **extra: Any) -> ResponseSpec:
    value = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": f"/tickets/{_TICKET_ID}",
        **extra,
    }
    return ResponseSpec(
        data_container=ProblemDetails,
        generate_examples=False,
        description=description,
        media_type=PROBLEM_JSON,
        examples=[Example(summary=title, value=value)],
    )


INVALID_REQUEST = _problem(
    400,
    "Invalid request",
    "Validation failed for PATCH /tickets/{ticket_id}",
    "The body or a parameter is invalid; `errors` names each field by its JSON path.",
    errors=[
        {
            "field": "$.status",
            "detail": "Invalid value 'Done'; expected one of 'Open', 'In Progress', 'Pending', "
            "'Waiting on Customer', 'Resolved', 'Closed'.",
        }
    ],
)
UNAUTHORIZED = _problem(
    401,
    "Unauthorized",
    "Send an agent's API key as `Authorization: Bearer <key>`.",
    "The API key is missing, unknown or revoked, or its agent is inactive.",
)
NOT_FOUND = _problem(
    404, "Ticket not found", f"No ticket with id {_TICKET_ID}.", "The ticket does not exist."
)
PRECONDITION_FAILED = _problem(
    412,
    "Precondition failed",
    'If-Match "3" does not match the current ETag "4"; fetch the ticket again and retry '
    "with its ETag.",
    "If-Match names an older version of the ticket; read it again and retry.",
)
CONFLICT = _problem(
    409,
    "Status change not allowed",
    "A ticket cannot move from Closed to Waiting on Customer.",
    "The change is not allowed in the ticket's current state.",
)

TICKET_PROBLEMS: dict[int, ResponseSpec] = {
    400: INVALID_REQUEST,
    401: UNAUTHORIZED,
    404: NOT_FOUND,
    409: CONFLICT,
    412: PRECONDITION_FAILED,
}
