"""The tickets a portal viewer may see, looked up through customer_service per request.

A contact sees the tickets it is on: it is the primary contact or among `contact_ids`.
A contact whose `sees_all_customer_tickets` flag is set also sees every ticket of its
customer. The scope is requested on every portal request (`customer.rpc.contact_scope`)
and never cached, so a contact moved to another customer or a flag turned off applies to
the next request. `PortalScope.condition` is added to every portal query, so a ticket
outside the scope is never loaded at all.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import msgspec
import nats.errors
from nats.aio.client import Client as NatsClient
from sqlalchemy import ColumnElement, or_

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import ContactScopeReply, ContactScopeRequest, ErrorReply
from helpdesk_runtime.messaging import HEADER_CORRELATION_ID, encode
from ticket_service.models import Ticket


class ScopeUnavailableError(Exception):
    """Raised when customer_service did not return the viewer's scope."""


@dataclass(frozen=True)
class PortalScope:
    """A found contact's visibility, with the details new tickets and messages carry."""

    contact_id: uuid.UUID
    name: str
    emails: tuple[str, ...]
    customer_id: uuid.UUID | None
    customer_name: str | None
    customer_tier: str | None
    sees_all_customer_tickets: bool

    @property
    def address(self) -> str | None:
        """The address that messages from the contact carry and agent replies go to."""
        return self.emails[0] if self.emails else None

    @property
    def display_name(self) -> str:
        """The contact's name, or its address when it has no name."""
        return self.name or self.address or ""

    def condition(self) -> ColumnElement[bool]:
        """Return the SQL condition that holds for exactly the tickets in the scope."""
        own = or_(
            Ticket.primary_contact_id == self.contact_id,
            Ticket.contact_ids.contains([self.contact_id]),
        )
        if self.sees_all_customer_tickets and self.customer_id is not None:
            return or_(own, Ticket.customer_id == self.customer_id)
        return own


def scope_from_reply(reply: ContactScopeReply) -> PortalScope | None:
    """Return the scope of a found contact, or None for an unknown or merged one."""
    if not reply.found:
        return None
    return PortalScope(
        contact_id=reply.contact_id,
        name=reply.name,
        emails=reply.emails,
        customer_id=reply.customer_id,
        customer_name=reply.customer_name,
        customer_tier=reply.customer_tier,
        sees_all_customer_tickets=reply.sees_all_customer_tickets,
    )


class ContactScopeClient:
    """Requests a contact's scope from customer_service."""

    def __init__(self, nats_client: Callable[[], NatsClient], timeout_seconds: float) -> None:
        self._nats_client = nats_client
        self._timeout_seconds = timeout_seconds

    async def scope_of(self, contact_id: uuid.UUID, correlation_id: str) -> PortalScope | None:
        """Return the contact's scope, None for an unknown contact, or raise
        `ScopeUnavailableError` when customer_service does not reply with one."""
        request = ContactScopeRequest(contact_id=contact_id)
        try:
            response = await self._nats_client().request(
                subjects.CUSTOMER_CONTACT_SCOPE,
                encode(request),
                timeout=self._timeout_seconds,
                headers={HEADER_CORRELATION_ID: correlation_id},
            )
        except (nats.errors.Error, TimeoutError) as exc:
            raise ScopeUnavailableError(
                f"customer_service did not return the scope of contact {contact_id}: {exc!r}"
            ) from exc
        return scope_from_reply(_decode(response.data, contact_id))


def _decode(data: bytes, contact_id: uuid.UUID) -> ContactScopeReply:
    try:
        return msgspec.json.decode(data, type=ContactScopeReply)
    except msgspec.ValidationError:
        pass

    try:
        error = msgspec.json.decode(data, type=ErrorReply).error
    except msgspec.DecodeError:
        error = f"unreadable reply of {len(data)} bytes"
    raise ScopeUnavailableError(f"customer_service failed on the scope of {contact_id}: {error}")
