"""The customer's account context, requested from customer_service for the ticket view.

Core NATS request/reply on `customer.rpc.account_context`, by the ticket's primary
contact (or its customer when it has no contact). The view must not wait long on
another service, so a timeout, an error reply or no responder yields None and a log.
"""

import uuid
from collections.abc import Callable

import msgspec
import nats.errors
from nats.aio.client import Client as NatsClient

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import AccountContextReply, AccountContextRequest, ErrorReply
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.messaging import encode
from ticket_service.models import Ticket

log = get_logger(__name__)


class AccountContextClient:
    """Requests account contexts from customer_service."""

    def __init__(self, nats_client: Callable[[], NatsClient], timeout_seconds: float) -> None:
        self._nats_client = nats_client
        self._timeout_seconds = timeout_seconds

    async def context_of(self, ticket: Ticket) -> AccountContextReply | None:
        """Return the account context of the ticket's contact or customer, or None."""
        request = _request_for(ticket)
        if request is None:
            return None

        try:
            response = await self._nats_client().request(
                subjects.CUSTOMER_ACCOUNT_CONTEXT, encode(request), timeout=self._timeout_seconds
            )
        except (nats.errors.Error, TimeoutError) as exc:
            log.warning("account context unavailable", ticket_id=str(ticket.id), error=repr(exc))
            return None
        return _decode(response.data, ticket.id)


def _request_for(ticket: Ticket) -> AccountContextRequest | None:
    if ticket.primary_contact_id is not None:
        return AccountContextRequest(contact_id=ticket.primary_contact_id)
    if ticket.customer_id is not None:
        return AccountContextRequest(customer_id=ticket.customer_id)
    return None


def _decode(data: bytes, ticket_id: uuid.UUID) -> AccountContextReply | None:
    # ErrorReply first: every field of AccountContextReply has a default, so an error
    # reply would also decode as an empty context.
    try:
        error = msgspec.json.decode(data, type=ErrorReply).error
    except msgspec.ValidationError:
        pass
    except msgspec.DecodeError as exc:
        log.warning("unreadable account context reply", ticket_id=str(ticket_id), error=str(exc))
        return None
    else:
        log.warning("account context request failed", ticket_id=str(ticket_id), error=error)
        return None

    try:
        return msgspec.json.decode(data, type=AccountContextReply)
    except msgspec.ValidationError as exc:
        log.warning("invalid account context reply", ticket_id=str(ticket_id), error=str(exc))
        return None
