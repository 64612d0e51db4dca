"""Errors of the ticket domain; the HTTP API maps each to a problem-details status once."""

import uuid


class TicketError(Exception):
    """Base of the errors an agent request can run into."""


class TicketNotFoundError(TicketError):
    """Raised when no ticket has the requested id or number."""

    def __init__(self, key: uuid.UUID | int) -> None:
        label = f"number {key}" if isinstance(key, int) else f"id {key}"
        super().__init__(f"No ticket with {label}.")


class VersionMismatchError(TicketError):
    """Raised when If-Match names a version other than the ticket's current one."""

    def __init__(self, expected: str, current: int) -> None:
        super().__init__(
            f'If-Match {expected} does not match the current ETag "{current}"; '
            "fetch the ticket again and retry with its ETag."
        )
        self.current = current


class TicketClosedError(TicketError):
    """Raised when an agent replies on a Closed ticket."""

    def __init__(self, number: int) -> None:
        super().__init__(
            f"Ticket #{number} is Closed; a new message from the customer opens a follow-up."
        )


class InvalidTransitionError(TicketError):
    """Raised when the lifecycle table does not allow a status change."""

    def __init__(self, from_status: str, to_status: str) -> None:
        super().__init__(f"A ticket cannot move from {from_status} to {to_status}.")


class NoRecipientError(TicketError):
    """Raised when a reply is requested on a ticket without a customer address."""

    def __init__(self, number: int) -> None:
        super().__init__(f"Ticket #{number} has no source email address to reply to.")


class UnknownCategoryError(TicketError):
    """Raised when a ticket or routing rule names a category that is not in the list."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"No category named {name!r}; create it with POST /categories or pick a listed one."
        )


class MergeNotAllowedError(TicketError):
    """Raised when a ticket cannot be merged into the requested one."""


class MergeTargetNotFoundError(TicketError):
    """Raised when the ticket to merge into does not exist."""

    def __init__(self, ticket_id: uuid.UUID) -> None:
        super().__init__(f"No ticket with id {ticket_id} to merge into.")


class RoutingRuleNotFoundError(TicketError):
    """Raised when no routing rule has the requested id."""

    def __init__(self, rule_id: uuid.UUID) -> None:
        super().__init__(f"No routing rule with id {rule_id}.")


class UnknownAgentError(TicketError):
    """Raised when a ticket is assigned to a handle that is no active agent."""

    def __init__(self, handle: str, field: str = "$.assigned_to") -> None:
        super().__init__(
            f"No active agent with the handle {handle!r}; GET /agents lists the agents."
        )
        self.field = field


class UnknownTeamError(TicketError):
    """Raised when a ticket, routing rule or intake form names a team that does not exist."""

    def __init__(self, name: str, field: str = "$.assigned_team") -> None:
        super().__init__(
            f"No team named {name!r}; create it with POST /teams or pick a listed one."
        )
        self.field = field


class AgentNotFoundError(TicketError):
    """Raised when no agent has the requested handle."""

    def __init__(self, handle: str) -> None:
        super().__init__(f"No agent with the handle {handle!r}.")


class AgentExistsError(TicketError):
    """Raised when a new agent's handle is taken."""

    def __init__(self, handle: str) -> None:
        super().__init__(f"An agent with the handle {handle!r} exists already.")


class TeamExistsError(TicketError):
    """Raised when a new team's name is taken."""

    def __init__(self, name: str) -> None:
        super().__init__(f"A team named {name!r} exists already.")


class ApiKeyNotFoundError(TicketError):
    """Raised when no key the caller may manage has the requested key id."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"No API key with the id {key_id!r}.")
