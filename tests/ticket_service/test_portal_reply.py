"""Portal replies over real NATS: status rules as for email, events and agent emails."""

import uuid

import httpx
from nats.aio.client import Client as NatsClient

from helpdesk_contracts import subjects
from helpdesk_contracts.enums import InteractionType, TicketStatus
from helpdesk_contracts.messages import (
    InteractionAdded,
    OutboundEmailRequested,
    TicketCreated,
    TicketStatusChanged,
)
from tests.ticket_service.helpers import TicketsApi, collect, events_for, unique
from tests.ticket_service.portal_support import (
    attachment,
    attachment_info,
    create_contact,
    new_account,
    open_portal_ticket,
    reply,
    show,
)


async def test_reply_reopens_waiting_ticket(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    added = await collect(nats_connection, subjects.TICKET_INTERACTION_ADDED, InteractionAdded)
    changed = await collect(nats_connection, subjects.TICKET_STATUS_CHANGED, TicketStatusChanged)
    viewer = await new_account(customer_api)
    created = await open_portal_ticket(nats_connection, viewer, unique("Password reset"))
    assert created.number is not None
    ticket_id = str(created.ticket_id)
    waiting = await tickets.patch(ticket_id, {"status": "Waiting on Customer"})
    assert waiting.status_code == 200, waiting.text
    screenshot = attachment_info(uuid.uuid4().bytes, "screen.png")

    answer = await reply(
        nats_connection, viewer, created.number, "Here it is.", attachments=(screenshot,)
    )

    assert answer.found
    assert answer.ticket_number == created.number
    detail = await tickets.detail(ticket_id)
    assert detail["status"] == "Open"
    assert detail["first_response_at"] is None
    portal_messages = [i for i in detail["interactions"] if i["type"] == "PORTAL_MESSAGE"]
    assert [i["text_body"] for i in portal_messages] == ["Please help.", "Here it is."]
    assert portal_messages[1]["id"] == str(answer.interaction_id)
    assert portal_messages[1]["author"] == viewer.address
    assert portal_messages[1]["customer_visible"]
    events = await events_for(added, ticket_id, 4)
    portal_events = [e for e in events if e.type is InteractionType.PORTAL_MESSAGE]
    assert [e.customer_visible for e in portal_events] == [True, True]
    [reopened] = [e for e in await events_for(changed, ticket_id, 2) if e.actor == viewer.address]
    assert reopened.from_status is TicketStatus.WAITING_ON_CUSTOMER
    assert reopened.to_status is TicketStatus.OPEN
    downloaded = await attachment(nats_connection, viewer, created.number, screenshot.sha256)
    assert downloaded.attachment == screenshot


async def test_reply_reopens_resolved_ticket(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    viewer = await new_account(customer_api)
    created = await open_portal_ticket(nats_connection, viewer, unique("Still broken"))
    assert created.number is not None
    ticket_id = str(created.ticket_id)
    resolved = await tickets.patch(ticket_id, {"status": "Resolved"})
    assert resolved.status_code == 200, resolved.text

    answer = await reply(nats_connection, viewer, created.number, "It broke again.")

    assert answer.found
    detail = await tickets.detail(ticket_id)
    assert detail["status"] == "Open"
    assert detail["resolved_at"] is None


async def test_reply_keeps_in_progress_status(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    viewer = await new_account(customer_api)
    created = await open_portal_ticket(nats_connection, viewer, unique("Slow disk"))
    assert created.number is not None
    moved = await tickets.patch(str(created.ticket_id), {"status": "In Progress"})
    assert moved.status_code == 200, moved.text

    answer = await reply(nats_connection, viewer, created.number, "Any news?")

    assert answer.found
    assert (await tickets.detail(str(created.ticket_id)))["status"] == "In Progress"


async def test_reply_to_closed_opens_follow_up(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    created_events = await collect(nats_connection, subjects.TICKET_CREATED, TicketCreated)
    viewer = await new_account(customer_api)
    created = await open_portal_ticket(nats_connection, viewer, unique("Old request"))
    assert created.number is not None
    closed = await tickets.patch(str(created.ticket_id), {"status": "Closed"})
    assert closed.status_code == 200, closed.text

    first = await reply(nats_connection, viewer, created.number, "One more thing.")
    second = await reply(nats_connection, viewer, created.number, "And another.")

    assert first.found
    assert first.ticket_number is not None
    assert first.ticket_number != created.number
    assert second.ticket_number == first.ticket_number
    old = await tickets.detail(str(created.ticket_id))
    assert old["status"] == "Closed"
    follow_up = (await show(nats_connection, viewer, first.ticket_number)).ticket
    assert follow_up is not None
    assert follow_up.status is TicketStatus.OPEN
    assert [i.text_body for i in follow_up.interactions] == ["One more thing.", "And another."]
    detail = await tickets.detail(str(follow_up.ticket_id))
    assert detail["follow_up_of"] == str(created.ticket_id)
    assert detail["primary_contact_id"] == str(viewer.contact_id)
    assert detail["source"] == "portal"
    [announced] = await events_for(created_events, str(follow_up.ticket_id), 1)
    assert announced.number == first.ticket_number


async def test_blank_reply_names_field(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    viewer = await new_account(customer_api)
    created = await open_portal_ticket(nats_connection, viewer, unique("Blank reply"))
    assert created.number is not None

    answer = await reply(nats_connection, viewer, created.number, " \n ")

    assert answer.found
    assert answer.interaction_id is None
    assert [error.field for error in answer.field_errors] == ["text_body"]


async def test_colleague_reply_with_flag(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    owner = await new_account(customer_api)
    lead = await create_contact(
        customer_api, owner.customer_id, owner.domain, name="Lena Lead", sees_all=True
    )
    created = await open_portal_ticket(nats_connection, owner, unique("Team ticket"))
    assert created.number is not None

    answer = await reply(nats_connection, lead, created.number, "Adding details.")

    assert answer.found
    view = (await show(nats_connection, owner, created.number)).ticket
    assert view is not None
    assert [i.author_name for i in view.interactions][-1] == "Lena Lead"


async def test_agent_answer_reaches_portal_contact_by_email(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    outbound = await collect(
        nats_connection, subjects.MAIL_OUTBOUND_REQUESTED, OutboundEmailRequested
    )
    viewer = await new_account(customer_api)
    created = await open_portal_ticket(nats_connection, viewer, unique("Portal only"))
    assert created.number is not None
    ticket_id = str(created.ticket_id)
    await reply(nats_connection, viewer, created.number, "Second portal message.")

    answered = await tickets.reply(ticket_id, "We are on it.")

    assert answered.status_code == 201, answered.text
    [sent] = await events_for(outbound, ticket_id, 1)
    assert [address.address for address in sent.to] == [viewer.address]
    assert sent.in_reply_to is None
    detail = await tickets.detail(ticket_id)
    assert detail["first_response_at"] is not None
