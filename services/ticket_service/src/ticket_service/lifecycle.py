"""The ticket lifecycle as data: which status changes agents may make, and their stamps.

Agents may move a ticket between any two statuses except out of Closed: a Closed
ticket is final, and a new message from the customer opens a follow-up ticket instead
(see `ticket_service.threading`). Entering Resolved or Closed stamps `resolved_at`
(Closing a Resolved ticket keeps the original stamp); moving to any other status clears it.
"""

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

from helpdesk_contracts.enums import TicketStatus
from ticket_service.errors import InvalidTransitionError
from ticket_service.models import Ticket

RESOLVED_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})

_ALL_STATUSES = frozenset(TicketStatus)

AGENT_TRANSITIONS: Mapping[TicketStatus, frozenset[TicketStatus]] = MappingProxyType(
    {
        TicketStatus.OPEN: _ALL_STATUSES - {TicketStatus.OPEN},
        TicketStatus.IN_PROGRESS: _ALL_STATUSES - {TicketStatus.IN_PROGRESS},
        TicketStatus.PENDING: _ALL_STATUSES - {TicketStatus.PENDING},
        TicketStatus.WAITING_ON_CUSTOMER: _ALL_STATUSES - {TicketStatus.WAITING_ON_CUSTOMER},
        TicketStatus.RESOLVED: _ALL_STATUSES - {TicketStatus.RESOLVED},
        TicketStatus.CLOSED: frozenset(),
    }
)

# Statuses that a customer's message moves back to Open: the team was waiting for the
# customer (or a third party) or considered the request done, and now it has news.
_REOPENED_BY_CUSTOMER = frozenset(
    {TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.PENDING, TicketStatus.RESOLVED}
)


def check_agent_transition(from_status: TicketStatus, to_status: TicketStatus) -> None:
    """Raise `InvalidTransitionError` unless an agent may move a ticket between the two."""
    if to_status not in AGENT_TRANSITIONS[from_status]:
        raise InvalidTransitionError(from_status.value, to_status.value)


def status_after_customer_message(current: TicketStatus) -> TicketStatus | None:
    """Return the status a customer's (not automatic) message moves a ticket to, if any."""
    if current in _REOPENED_BY_CUSTOMER:
        return TicketStatus.OPEN
    return None


def set_status(ticket: Ticket, to_status: TicketStatus, now: datetime) -> TicketStatus:
    """Set the ticket's status and its resolution stamp; return the previous status."""
    from_status = ticket.status
    ticket.status = to_status

    if to_status in RESOLVED_STATUSES:
        if ticket.resolved_at is None:
            ticket.resolved_at = now
    else:
        ticket.resolved_at = None
    return from_status
