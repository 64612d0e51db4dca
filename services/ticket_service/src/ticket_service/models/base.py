"""The `tickets` schema: metadata, the declarative base and the runtime's own tables."""

from sqlalchemy import MetaData, Sequence
from sqlalchemy.orm import DeclarativeBase

from helpdesk_runtime.idempotency import processed_messages_table
from helpdesk_runtime.outbox import outbox_table

SCHEMA = "tickets"

metadata = MetaData(schema=SCHEMA)


class Base(DeclarativeBase):
    metadata = metadata


# Ticket numbers come from a sequence, so they are unique across replicas without a lock.
# A rolled-back transaction leaves a gap in the numbering.
ticket_number_seq = Sequence("ticket_number_seq", metadata=metadata, start=1)

outbox = outbox_table(metadata)
processed_messages = processed_messages_table(metadata)
