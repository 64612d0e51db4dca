"""A contact's portal scope: its customer and whether it sees all of that customer's tickets.

ticket_service requests it on every portal request and enforces the scope in its own
queries. A merged contact no longer exists, so its reply is the one of an unknown contact.
"""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from customer_service.models import Contact, ContactEmail, Customer
from helpdesk_contracts.messages import ContactScopeReply


async def load_contact_scope(
    connection: AsyncConnection, contact_id: uuid.UUID
) -> ContactScopeReply:
    """Return the contact's name, addresses, customer and visibility flag in one query."""
    rows = (
        await connection.execute(
            select(
                Contact.name,
                Contact.customer_id,
                Contact.sees_all_customer_tickets,
                Customer.name.label("customer_name"),
                Customer.tier.label("customer_tier"),
                ContactEmail.address,
            )
            .outerjoin(Customer, Customer.id == Contact.customer_id)
            .outerjoin(ContactEmail, ContactEmail.contact_id == Contact.id)
            .where(Contact.id == contact_id)
            .order_by(ContactEmail.address)
        )
    ).all()
    if not rows:
        return ContactScopeReply(contact_id=contact_id, found=False)

    first = rows[0]
    return ContactScopeReply(
        contact_id=contact_id,
        found=True,
        name=first.name,
        emails=tuple(row.address for row in rows if row.address is not None),
        customer_id=first.customer_id,
        sees_all_customer_tickets=first.sees_all_customer_tickets,
        customer_name=first.customer_name,
        customer_tier=first.customer_tier,
    )
