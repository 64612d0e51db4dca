"""Tables of ticket_service, all in the `tickets` schema."""

from ticket_service.models.agent import Agent, ApiKey, Team, TeamMember
from ticket_service.models.audit_entry import AuditEntry
from ticket_service.models.base import (
    SCHEMA,
    Base,
    metadata,
    outbox,
    processed_messages,
    ticket_number_seq,
)
from ticket_service.models.category import Category
from ticket_service.models.intake_form import IntakeFormRecord
from ticket_service.models.interaction import Interaction
from ticket_service.models.message_index import IndexedMessageId
from ticket_service.models.routing_rule import RoutingRule
from ticket_service.models.set_aside_reply import SetAsideReply
from ticket_service.models.ticket import Ticket

__all__ = [
    "SCHEMA",
    "Agent",
    "ApiKey",
    "AuditEntry",
    "Base",
    "Category",
    "IndexedMessageId",
    "IntakeFormRecord",
    "Interaction",
    "RoutingRule",
    "SetAsideReply",
    "Team",
    "TeamMember",
    "Ticket",
    "metadata",
    "outbox",
    "processed_messages",
    "ticket_number_seq",
]
