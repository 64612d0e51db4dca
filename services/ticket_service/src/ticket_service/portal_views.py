"""What a portal viewer reads: the ticket list, a ticket page and attachment metadata.

Every query carries the viewer's scope condition, so a ticket outside the scope is
answered exactly like a ticket that does not exist. Only customer-visible interactions
are read, and a view names agents by name only: an agent's handle is shown as its
display name, and an author recorded as an address as the support team's name.
"""

import base64
import binascii
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, and_, exists, func, literal_column, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import InteractionType, TicketStatus
from helpdesk_contracts.messages import (
    AttachmentInfo,
    PortalInteraction,
    PortalTicketSummary,
    PortalTicketView,
)
from helpdesk_contracts.visibility import is_customer_visible
from ticket_service.intake_forms import form_labels_of, form_name_of
from ticket_service.models import Agent, Interaction, Ticket
from ticket_service.portal_scope import PortalScope

MAX_PAGE_SIZE = 100

# The text search configuration of the GIN expression indexes on subjects and bodies.
_SEARCH_CONFIG: ColumnElement[str] = literal_column("'english'::regconfig")

VISIBLE_TYPES = tuple(kind for kind in InteractionType if is_customer_visible(kind))

# Messages the customer's side wrote; the others are the support team's.
CUSTOMER_TYPES = frozenset({InteractionType.EMAIL_INBOUND, InteractionType.PORTAL_MESSAGE})

_SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


class InvalidCursorError(ValueError):
    """Raised for a list cursor that this service did not return."""


@dataclass(frozen=True)
class ListPosition:
    """The activity time and id of the last ticket of the previous page."""

    updated_at: datetime
    ticket_id: uuid.UUID


def visible_interaction() -> ColumnElement[bool]:
    """Return the condition on interactions a customer may see.

    Both the stored flag and the type are checked, so a row whose flag disagrees with
    the contracts' visibility table stays hidden.
    """
    return and_(Interaction.customer_visible, Interaction.type.in_(VISIBLE_TYPES))


def encode_cursor(ticket: Ticket) -> str:
    """Return the cursor that continues the list after `ticket`."""
    raw = json.dumps([ticket.updated_at.isoformat(), str(ticket.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> ListPosition:
    """Return the position in `cursor`, or raise `InvalidCursorError`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        updated_at, ticket_id = json.loads(base64.urlsafe_b64decode(padded))
        position = ListPosition(datetime.fromisoformat(updated_at), uuid.UUID(ticket_id))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise InvalidCursorError(f"invalid portal list cursor {cursor!r}") from exc
    if position.updated_at.tzinfo is None:
        raise InvalidCursorError(f"portal list cursor {cursor!r} has no time zone")
    return position


async def list_visible_tickets(
    session: AsyncSession,
    scope: PortalScope,
    statuses: Sequence[TicketStatus],
    search: str | None,
    limit: int,
    after: ListPosition | None,
) -> list[Ticket]:
    """Return up to `limit` tickets of the scope, newest activity first, after `after`."""
    query = select(Ticket).where(scope.condition())
    if statuses:
        query = query.where(Ticket.status.in_(statuses))
    if search:
        query = query.where(_visible_text_search(search))
    if after is not None:
        position = tuple_(Ticket.updated_at, Ticket.id)
        query = query.where(position < tuple_(after.updated_at, after.ticket_id))
    query = query.order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(limit)
    return list(await session.scalars(query))


def _visible_text_search(text: str) -> ColumnElement[bool]:
    # The same web-search syntax as the agent list, but only visible text can match, so
    # a search never reveals what an internal note contains.
    query = func.websearch_to_tsquery(_SEARCH_CONFIG, text)
    in_subject = func.to_tsvector(_SEARCH_CONFIG, Ticket.subject).bool_op("@@")(query)
    in_interactions = exists().where(
        Interaction.ticket_id == Ticket.id,
        visible_interaction(),
        func.to_tsvector(_SEARCH_CONFIG, Interaction.text_body).bool_op("@@")(query),
    )
    return or_(in_subject, in_interactions)


def ticket_summary(ticket: Ticket) -> PortalTicketSummary:
    """Return the list entry of a ticket."""
    return PortalTicketSummary(
        ticket_id=ticket.id,
        number=ticket.number,
        subject=ticket.subject,
        status=ticket.status,
        source=ticket.source,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
    )


async def visible_ticket(
    session: AsyncSession, scope: PortalScope, number: int, *, for_update: bool = False
) -> Ticket | None:
    """Return the ticket with this number if it is in the scope, else None."""
    query = select(Ticket).where(Ticket.number == number, scope.condition())
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    ticket: Ticket | None = await session.scalar(query)
    return ticket


async def ticket_view(
    session: AsyncSession, scope: PortalScope, number: int, support_name: str
) -> PortalTicketView | None:
    """Return the ticket page, or None when the ticket is not in the scope."""
    ticket = await visible_ticket(session, scope, number)
    if ticket is None:
        return None

    interactions = list(
        await session.scalars(
            select(Interaction)
            .where(Interaction.ticket_id == ticket.id, visible_interaction())
            .order_by(Interaction.created_at, Interaction.id)
        )
    )
    agent_names = await _agent_names(session, interactions)
    form_name = await form_name_of(session, ticket.form_id)
    return PortalTicketView(
        ticket_id=ticket.id,
        number=ticket.number,
        subject=ticket.subject,
        status=ticket.status,
        source=ticket.source,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        form_name=form_name,
        form_values=dict(ticket.form_values or {}),
        form_labels=await form_labels_of(session, ticket.form_id),
        interactions=tuple(
            portal_interaction(interaction, support_name, agent_names)
            for interaction in interactions
        ),
    )


async def _agent_names(
    session: AsyncSession, interactions: Sequence[Interaction]
) -> dict[str, str]:
    """Return the display names of the agents among the interactions' authors, by handle."""
    handles = {i.author for i in interactions if i.type not in CUSTOMER_TYPES}
    if not handles:
        return {}
    rows = await session.execute(
        select(Agent.handle, Agent.display_name).where(Agent.handle.in_(handles))
    )
    return {str(handle): str(name) for handle, name in rows}


def portal_interaction(
    interaction: Interaction, support_name: str, agent_names: Mapping[str, str] | None = None
) -> PortalInteraction:
    """Return a visible interaction as the portal shows it."""
    from_customer = interaction.type in CUSTOMER_TYPES
    return PortalInteraction(
        id=interaction.id,
        type=interaction.type,
        author_name=_author_name(interaction, from_customer, support_name, agent_names or {}),
        from_customer=from_customer,
        text_body=interaction.text_body,
        html_body=interaction.html_body,
        created_at=interaction.created_at,
        attachments=_attachments(interaction.attachments),
    )


def _author_name(
    interaction: Interaction,
    from_customer: bool,
    support_name: str,
    agent_names: Mapping[str, str],
) -> str:
    if from_customer:
        sender = interaction.email_from or {}
        return str(sender.get("name") or interaction.author)
    if interaction.author in agent_names:
        return agent_names[interaction.author]
    # Agents are recorded by name or by their address; an address is internal.
    if "@" in interaction.author or not interaction.author.strip():
        return support_name
    return interaction.author


def _attachments(stored: list[dict[str, Any]] | None) -> tuple[AttachmentInfo, ...]:
    return msgspec.convert(stored or [], tuple[AttachmentInfo, ...])


async def visible_attachment(
    session: AsyncSession, scope: PortalScope, number: int, sha256: str
) -> AttachmentInfo | None:
    """Return the attachment's metadata if a visible interaction of a ticket in the scope
    carries it, else None."""
    digest = sha256.strip().lower()
    if not _SHA256_PATTERN.match(digest):
        return None

    rows = await session.scalars(
        select(Interaction.attachments)
        .join(Ticket, Ticket.id == Interaction.ticket_id)
        .where(
            Ticket.number == number,
            scope.condition(),
            visible_interaction(),
            Interaction.attachments.contains([{"sha256": digest}]),
        )
        .order_by(Interaction.created_at)
    )
    for stored in rows:
        for attachment in _attachments(stored):
            if attachment.sha256 == digest:
                return attachment
    return None
