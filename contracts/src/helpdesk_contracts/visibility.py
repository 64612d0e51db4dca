"""Which interaction types a customer may ever see.

This table is the single definition. Every exit towards a customer (portal responses,
portal live events, quoted history in outbound mail, customer-facing webhooks) filters
through `is_customer_visible`.
"""

from types import MappingProxyType

from helpdesk_contracts.enums import InteractionType

CUSTOMER_VISIBILITY: MappingProxyType[InteractionType, bool] = MappingProxyType(
    {
        InteractionType.EMAIL_INBOUND: True,
        InteractionType.EMAIL_OUTBOUND: True,
        InteractionType.PHONE_CALL: False,
        InteractionType.SMS: True,
        InteractionType.MEETING: False,
        InteractionType.NOTE: False,
        InteractionType.INTERNAL_NOTE: False,
        InteractionType.SYSTEM: False,
        InteractionType.PORTAL_MESSAGE: True,
    }
)


def is_customer_visible(interaction_type: InteractionType) -> bool:
    """Return whether a customer may see an interaction of this type."""
    return CUSTOMER_VISIBILITY[interaction_type]
