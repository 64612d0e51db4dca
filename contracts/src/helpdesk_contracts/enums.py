"""Enumerations of the ticket model."""

from enum import StrEnum


class TicketStatus(StrEnum):
    OPEN = "Open"
    IN_PROGRESS = "In Progress"
    PENDING = "Pending"
    WAITING_ON_CUSTOMER = "Waiting on Customer"
    RESOLVED = "Resolved"
    CLOSED = "Closed"


class TicketPriority(StrEnum):
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"
    URGENT = "Urgent"


class TicketSource(StrEnum):
    EMAIL = "email"
    PORTAL = "portal"
    WEB = "web"
    MANUAL = "manual"


class InteractionType(StrEnum):
    EMAIL_INBOUND = "EMAIL_INBOUND"
    EMAIL_OUTBOUND = "EMAIL_OUTBOUND"
    PHONE_CALL = "PHONE_CALL"
    SMS = "SMS"
    MEETING = "MEETING"
    NOTE = "NOTE"
    INTERNAL_NOTE = "INTERNAL_NOTE"
    SYSTEM = "SYSTEM"


class ContactMatch(StrEnum):
    """How the sender of a message was linked to a contact and customer."""

    ADDRESS = "address"
    DOMAIN = "domain"
    NEW = "new"
