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
    # A message a customer wrote in the portal or the web form: the portal's counterpart
    # of EMAIL_INBOUND.
    PORTAL_MESSAGE = "PORTAL_MESSAGE"


class FormFieldType(StrEnum):
    """The kinds of field an intake form can ask for."""

    TEXT = "text"
    LONG_TEXT = "long_text"
    SELECT = "select"
    MULTI_SELECT = "multi_select"
    DATE = "date"
    NUMBER = "number"
    CHECKBOX = "checkbox"
    FILE = "file"


class ContactMatch(StrEnum):
    """How the sender of a message was linked to a contact and customer."""

    ADDRESS = "address"
    DOMAIN = "domain"
    NEW = "new"
