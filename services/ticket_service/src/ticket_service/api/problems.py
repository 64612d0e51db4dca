"""The one mapping from ticket domain errors to RFC 9457 problem details."""

from typing import Any

from litestar import Request, Response

from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.problems import problem_response
from ticket_service.errors import (
    AgentExistsError,
    AgentNotFoundError,
    ApiKeyNotFoundError,
    InvalidTransitionError,
    MergeNotAllowedError,
    MergeTargetNotFoundError,
    NoRecipientError,
    RoutingRuleNotFoundError,
    TeamExistsError,
    TicketClosedError,
    TicketError,
    TicketNotFoundError,
    UnknownAgentError,
    UnknownCategoryError,
    UnknownTeamError,
    VersionMismatchError,
)
from ticket_service.preconditions import etag

log = get_logger(__name__)

# Error type: HTTP status, problem title and the request field at fault (if any).
PROBLEMS: dict[type[TicketError], tuple[int, str, str | None]] = {
    TicketNotFoundError: (404, "Ticket not found", None),
    VersionMismatchError: (412, "Precondition failed", "If-Match"),
    TicketClosedError: (409, "Ticket closed", None),
    InvalidTransitionError: (409, "Status change not allowed", "$.status"),
    NoRecipientError: (409, "No recipient", None),
    UnknownCategoryError: (400, "Unknown category", "$.category"),
    MergeNotAllowedError: (409, "Merge not allowed", "$.into"),
    MergeTargetNotFoundError: (404, "Ticket not found", "$.into"),
    RoutingRuleNotFoundError: (404, "Routing rule not found", None),
    # The field of these two depends on the request; the error carries it.
    UnknownAgentError: (422, "Unknown agent", "$.assigned_to"),
    UnknownTeamError: (422, "Unknown team", "$.assigned_team"),
    AgentNotFoundError: (404, "Agent not found", None),
    AgentExistsError: (409, "Agent exists", "$.handle"),
    TeamExistsError: (409, "Team exists", "$.name"),
    ApiKeyNotFoundError: (404, "API key not found", None),
}


def problem_status(exc: TicketError) -> int:
    """Return the HTTP status of a domain error."""
    problem = PROBLEMS.get(type(exc))
    return problem[0] if problem is not None else 500


def handle_ticket_error(request: Request[Any, Any, Any], exc: TicketError) -> Response[Any]:
    """Return the problem-details response of a domain error."""
    problem = PROBLEMS.get(type(exc))
    if problem is None:
        log.error("ticket error without a problem mapping", error=repr(exc))
        problem = (500, "Internal server error", None)
    status, title, field = problem
    field = getattr(exc, "field", None) or field
    errors = [{"field": field, "detail": str(exc)}] if field else None
    response = problem_response(request, status, title, str(exc), errors)

    if isinstance(exc, VersionMismatchError):
        response.headers["ETag"] = etag(exc.current)
    return response
