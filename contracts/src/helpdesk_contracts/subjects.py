"""The subject catalog: every NATS subject the services publish or subscribe to.

Subjects are lower-case dotted nouns, `<domain>.<kind>.<name>`. Events (`*.events.*`)
and inbound mail live in JetStream streams (see `streams`); `*.rpc.*` subjects are core
NATS request/reply served by queue groups.
"""

from typing import Final

MAIL_INBOUND_RECEIVED: Final = "mail.inbound.received"
MAIL_OUTBOUND_REQUESTED: Final = "mail.outbound.requested"
MAIL_OUTBOUND_SENT: Final = "mail.outbound.sent"
MAIL_OUTBOUND_FAILED: Final = "mail.outbound.failed"
MAIL_OUTBOUND_BOUNCED: Final = "mail.outbound.bounced"
# Mail about a portal account (sign-in link, password reset), not about a ticket.
MAIL_OUTBOUND_ACCOUNT: Final = "mail.outbound.account"

TICKET_CREATED: Final = "ticket.events.created"
TICKET_INTERACTION_ADDED: Final = "ticket.events.interaction_added"
TICKET_STATUS_CHANGED: Final = "ticket.events.status_changed"
TICKET_FIRST_RESPONDED: Final = "ticket.events.first_responded"
TICKET_PRIORITY_CHANGED: Final = "ticket.events.priority_changed"
TICKET_ENRICHED: Final = "ticket.events.enriched"
TICKET_FIELDS_CHANGED: Final = "ticket.events.fields_changed"
TICKET_MERGED: Final = "ticket.events.merged"
TICKET_AGENT_MENTIONED: Final = "ticket.events.agent_mentioned"

# Requests of portal_api, served by ticket_service. Each carries the signed-in contact
# (or, for the anonymous web form, none) and ticket_service checks the scope itself.
TICKET_PORTAL_LIST: Final = "ticket.rpc.portal_list"
TICKET_PORTAL_SHOW: Final = "ticket.rpc.portal_show"
TICKET_PORTAL_REPLY: Final = "ticket.rpc.portal_reply"
TICKET_PORTAL_SUBMIT: Final = "ticket.rpc.portal_submit"
TICKET_PORTAL_FORMS: Final = "ticket.rpc.portal_forms"
TICKET_PORTAL_ATTACHMENT: Final = "ticket.rpc.portal_attachment"

SLA_TARGETS_SET: Final = "sla.events.targets_set"
SLA_BREACHED: Final = "sla.events.breached"
SLA_WARNING: Final = "sla.events.warning"

CUSTOMER_RESOLVE_CONTACT: Final = "customer.rpc.resolve_contact"
CUSTOMER_ACCOUNT_CONTEXT: Final = "customer.rpc.account_context"
CUSTOMER_CONTACT_SCOPE: Final = "customer.rpc.contact_scope"
CUSTOMER_CONTACT_MOVED: Final = "customer.events.contact_moved"
CUSTOMER_TIER_CHANGED: Final = "customer.events.tier_changed"
CUSTOMER_DOMAIN_ADDED: Final = "customer.events.domain_added"
CUSTOMER_CONTACTS_MERGED: Final = "customer.events.contacts_merged"

DEAD_LETTER_PREFIX: Final = "deadletter"


def dead_letter_subject(subject: str) -> str:
    """Return the dead-letter subject for messages that kept failing on `subject`."""
    return f"{DEAD_LETTER_PREFIX}.{subject}"
