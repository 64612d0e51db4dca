"""Tables of ticket_service, all in the `tickets` schema."""

from ticket_service.models.base import (
    SCHEMA,
    Base,
    metadata,
    outbox,
    processed_messages,
    ticket_number_seq,
)
from ticket_service.models.interaction import Interaction
from ticket_service.models.message_index import IndexedMessageId
from ticket_service.models.ticket import Ticket

__all__ = [
    "SCHEMA",
    "Base",
    "IndexedMessageId",
    "Interaction",
    "Ticket",
    "metadata",
    "outbox",
    "processed_messages",
    "ticket_number_seq",
]
