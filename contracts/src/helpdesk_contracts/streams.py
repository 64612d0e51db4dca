"""JetStream stream definitions.

Services declare these at start-up through `helpdesk_runtime.messaging.ensure_streams`
and create no streams of their own. Every stream is file-backed; the duplicate window is
the period in which a repeated `Nats-Msg-Id` is dropped by the server.
"""

import msgspec

from helpdesk_contracts import subjects


class StreamDefinition(msgspec.Struct, frozen=True):
    """A JetStream stream: its name, the subjects it captures and how long it keeps them."""

    name: str
    subjects: tuple[str, ...]
    description: str
    max_age_seconds: int = 30 * 24 * 3600
    duplicate_window_seconds: int = 24 * 3600


MAIL = StreamDefinition(
    name="MAIL",
    subjects=("mail.>",),
    description="Inbound mail received by the gateway and outbound mail requests and outcomes.",
)
TICKET_EVENTS = StreamDefinition(
    name="TICKET_EVENTS",
    subjects=("ticket.events.>",),
    description="Facts about tickets and their interactions, published by ticket_service.",
)
SLA_EVENTS = StreamDefinition(
    name="SLA_EVENTS",
    subjects=("sla.events.>",),
    description="SLA targets, warnings and breaches, published by sla_service.",
)
CUSTOMER_EVENTS = StreamDefinition(
    name="CUSTOMER_EVENTS",
    subjects=("customer.events.>",),
    description="Changes to customers and contacts, published by customer_service.",
)
DEAD_LETTERS = StreamDefinition(
    name="DEAD_LETTERS",
    subjects=(f"{subjects.DEAD_LETTER_PREFIX}.>",),
    description="Messages that kept failing, with the error, kept for inspection and replay.",
    max_age_seconds=90 * 24 * 3600,
)

ALL_STREAMS: tuple[StreamDefinition, ...] = (
    MAIL,
    TICKET_EVENTS,
    SLA_EVENTS,
    CUSTOMER_EVENTS,
    DEAD_LETTERS,
)
