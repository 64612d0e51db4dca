"""Creating interactions and appending them to a ticket."""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import InteractionType
from helpdesk_contracts.messages import EmailAddress
from helpdesk_contracts.visibility import is_customer_visible
from ticket_service.models import Interaction, Ticket
from ticket_service.tickets import record_change


def address_json(address: EmailAddress) -> dict[str, Any]:
    """Return an address as the JSON object stored on interactions."""
    return {"address": address.address, "name": address.name}


def addresses_json(addresses: Iterable[EmailAddress]) -> list[dict[str, Any]]:
    """Return addresses as the JSON list stored on interactions."""
    return [address_json(address) for address in addresses]


def new_interaction(
    ticket_id: uuid.UUID,
    interaction_type: InteractionType,
    *,
    author: str,
    text_body: str,
    now: datetime,
    interaction_id: uuid.UUID | None = None,
    **email_fields: Any,
) -> Interaction:
    """Build an interaction whose customer visibility follows the contracts' table."""
    return Interaction(
        id=interaction_id or uuid.uuid4(),
        ticket_id=ticket_id,
        type=interaction_type,
        author=author,
        customer_visible=is_customer_visible(interaction_type),
        text_body=text_body,
        created_at=now,
        **email_fields,
    )


async def append_interaction(
    session: AsyncSession, ticket: Ticket, interaction: Interaction, now: datetime
) -> None:
    """Add `interaction` to a locked ticket, counting it as a change of the ticket.

    The interaction is flushed at once because the models declare no relationships, so
    the session would not know to insert it before rows that refer to it.
    """
    session.add(interaction)
    record_change(ticket, now)
    await session.flush()


async def interactions_of(session: AsyncSession, ticket_id: uuid.UUID) -> list[Interaction]:
    """Return the ticket's interactions, oldest first."""
    result = await session.scalars(
        select(Interaction)
        .where(Interaction.ticket_id == ticket_id)
        .order_by(Interaction.created_at, Interaction.id)
    )
    return list(result)
