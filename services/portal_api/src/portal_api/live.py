"""Live updates: one core NATS subscription per process, fanned out to SSE connections.

Each connection is a `LiveListener` with the viewer's scope. The hub forwards to it only
events of tickets the viewer may see: the ticket of a ticket page, or for the list the
tickets it was seeded with plus those created or enriched into the viewer's scope later.
Interactions go out only when customer-visible by both the event's flag and the
contracts' visibility table, so internal notes and their text never leave the process.
"""

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from helpdesk_contracts import subjects
from helpdesk_contracts.enums import InteractionType, TicketStatus
from helpdesk_contracts.messages import (
    InteractionAdded,
    TicketCreated,
    TicketEnriched,
    TicketMerged,
    TicketStatusChanged,
)
from helpdesk_contracts.visibility import is_customer_visible
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.metrics import counter

log = get_logger(__name__)

events_forwarded_total = counter(
    "portal_live_events_forwarded_total", "Ticket events sent to live-update connections."
)

LIVE_SUBJECTS = "ticket.events.>"
# Updates waiting for a slow browser; past this the connection is closed and the
# browser's EventSource reconnects, instead of the process buffering without bound.
QUEUE_SIZE = 100

_CUSTOMER_AUTHORED = frozenset({InteractionType.EMAIL_INBOUND, InteractionType.PORTAL_MESSAGE})

_decoders: dict[str, msgspec.json.Decoder[Any]] = {
    subjects.TICKET_CREATED: msgspec.json.Decoder(TicketCreated),
    subjects.TICKET_ENRICHED: msgspec.json.Decoder(TicketEnriched),
    subjects.TICKET_INTERACTION_ADDED: msgspec.json.Decoder(InteractionAdded),
    subjects.TICKET_STATUS_CHANGED: msgspec.json.Decoder(TicketStatusChanged),
    subjects.TICKET_MERGED: msgspec.json.Decoder(TicketMerged),
}


class LiveCapacityError(Exception):
    """Raised when the process already has `max_connections` live connections open."""


@dataclass(frozen=True)
class ViewerScope:
    """Whose tickets a connection may hear about, as customer_service describes the contact."""

    contact_id: uuid.UUID
    customer_id: uuid.UUID | None
    sees_all_customer_tickets: bool

    def covers(self, contact_ids: tuple[uuid.UUID, ...], customer_id: uuid.UUID | None) -> bool:
        """Return whether a ticket with these contacts and customer is the viewer's."""
        if self.contact_id in contact_ids:
            return True
        return (
            self.sees_all_customer_tickets
            and self.customer_id is not None
            and customer_id == self.customer_id
        )


@dataclass(frozen=True)
class LiveUpdate:
    """One server-sent event: its name, its data, and the data as JSON."""

    kind: str
    data: dict[str, Any]
    # Encoded once here rather than once per connection the update goes to.
    json_data: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "json_data", json.dumps(self.data))


@dataclass(eq=False)
class LiveListener:
    """One SSE connection: its scope, the tickets it follows and its outgoing queue."""

    scope: ViewerScope
    ticket_ids: set[uuid.UUID]
    # A ticket page follows its one ticket; the list also picks up new tickets in scope.
    follows_new_tickets: bool
    queue: asyncio.Queue[LiveUpdate | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )
    closed: bool = False

    def offer(self, update: LiveUpdate) -> None:
        """Queue `update`, or close the connection when the browser is too far behind."""
        if self.closed:
            return
        try:
            self.queue.put_nowait(update)
        except asyncio.QueueFull:
            log.warning("live connection too slow, closing", contact_id=str(self.scope.contact_id))
            self.close()

    def close(self) -> None:
        """Make the stream end after the updates already queued."""
        self.closed = True
        if self.queue.full():
            # Room for the end marker: the browser reloads what it missed anyway.
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class LiveHub:
    """The process's ticket-event subscription and its live connections."""

    def __init__(self, max_connections: int) -> None:
        self._max_connections = max_connections
        self._listeners: set[LiveListener] = set()
        self._by_ticket: dict[uuid.UUID, set[LiveListener]] = {}
        self._subscription: Subscription | None = None

    @property
    def connection_count(self) -> int:
        return len(self._listeners)

    async def start(self, connection: NatsClient) -> None:
        """Subscribe to every ticket event; core NATS, because a live view needs no replay."""
        self._subscription = await connection.subscribe(LIVE_SUBJECTS, cb=self._on_message)
        log.info("live updates subscribed", subject=LIVE_SUBJECTS)

    def add(self, listener: LiveListener) -> None:
        """Register a connection; raise `LiveCapacityError` when the process is full."""
        if len(self._listeners) >= self._max_connections:
            raise LiveCapacityError(f"{self._max_connections} live connections already open")
        self._listeners.add(listener)
        for ticket_id in listener.ticket_ids:
            self._by_ticket.setdefault(ticket_id, set()).add(listener)

    def remove(self, listener: LiveListener) -> None:
        """Forget a closed connection."""
        self._listeners.discard(listener)
        for ticket_id in listener.ticket_ids:
            followers = self._by_ticket.get(ticket_id)
            if followers is None:
                continue
            followers.discard(listener)
            if not followers:
                del self._by_ticket[ticket_id]

    def close_all(self) -> None:
        """End every stream, as the server does before it stops."""
        for listener in list(self._listeners):
            listener.close()
        log.info("live connections closed", connections=len(self._listeners))

    async def _on_message(self, message: Msg) -> None:
        decoder = _decoders.get(message.subject)
        if decoder is None:
            return
        try:
            event = decoder.decode(message.data)
        except msgspec.DecodeError as exc:
            log.warning("live event not decodable", subject=message.subject, error=str(exc))
            return
        self.dispatch(event)

    def dispatch(self, event: object) -> None:
        """Forward one decoded ticket event to the connections allowed to see it."""
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _follow(self, listener: LiveListener, ticket_id: uuid.UUID) -> None:
        listener.ticket_ids.add(ticket_id)
        self._by_ticket.setdefault(ticket_id, set()).add(listener)

    def _followers(self, ticket_id: uuid.UUID) -> list[LiveListener]:
        return list(self._by_ticket.get(ticket_id, ()))

    def _send(self, listener: LiveListener, update: LiveUpdate) -> None:
        listener.offer(update)
        events_forwarded_total.inc()

    def _on_created(self, event: TicketCreated) -> None:
        contacts = (event.primary_contact_id,) if event.primary_contact_id else ()
        update = LiveUpdate(
            "ticket",
            {
                "ticket_id": str(event.ticket_id),
                "number": event.number,
                "subject": event.subject,
                "status": str(event.status),
                "updated_at": event.created_at.isoformat(),
            },
        )
        self._adopt(event.ticket_id, contacts, event.customer_id, update)

    def _on_enriched(self, event: TicketEnriched) -> None:
        contacts = event.contact_ids
        if event.primary_contact_id is not None:
            contacts = (*contacts, event.primary_contact_id)
        # The event names no subject or status, so the list only learns that a ticket of
        # the viewer's appeared and offers to reload.
        update = LiveUpdate("ticket_added", {})
        self._adopt(event.ticket_id, contacts, event.customer_id, update)

    def _adopt(
        self,
        ticket_id: uuid.UUID,
        contact_ids: tuple[uuid.UUID, ...],
        customer_id: uuid.UUID | None,
        update: LiveUpdate,
    ) -> None:
        for listener in list(self._listeners):
            if not listener.follows_new_tickets or ticket_id in listener.ticket_ids:
                continue
            if listener.scope.covers(contact_ids, customer_id):
                self._follow(listener, ticket_id)
                self._send(listener, update)

    def _on_status(self, event: TicketStatusChanged) -> None:
        update = LiveUpdate(
            "status",
            {
                "ticket_id": str(event.ticket_id),
                "status": str(event.to_status),
                "updated_at": event.changed_at.isoformat(),
            },
        )
        for listener in self._followers(event.ticket_id):
            self._send(listener, update)

    def _on_merged(self, event: TicketMerged) -> None:
        update = LiveUpdate(
            "status",
            {
                "ticket_id": str(event.ticket_id),
                "status": str(TicketStatus.CLOSED),
                "updated_at": event.merged_at.isoformat(),
            },
        )
        for listener in self._followers(event.ticket_id):
            self._send(listener, update)

    def _on_interaction(self, event: InteractionAdded) -> None:
        if not (event.customer_visible and is_customer_visible(event.type)):
            return
        from_customer = event.type in _CUSTOMER_AUTHORED
        update = LiveUpdate(
            "interaction",
            {
                "ticket_id": str(event.ticket_id),
                "id": str(event.interaction_id),
                # An agent is recorded by an internal address, which customers never see:
                # the page shows ticket_service's display name from the ticket instead.
                "author": event.author if from_customer else None,
                "from_customer": from_customer,
                "text": event.text_body,
                "created_at": event.created_at.isoformat(),
            },
        )
        for listener in self._followers(event.ticket_id):
            self._send(listener, update)


_HANDLERS: dict[type, Callable[[LiveHub, Any], None]] = {
    TicketCreated: LiveHub._on_created,
    TicketEnriched: LiveHub._on_enriched,
    TicketStatusChanged: LiveHub._on_status,
    TicketMerged: LiveHub._on_merged,
    InteractionAdded: LiveHub._on_interaction,
}
