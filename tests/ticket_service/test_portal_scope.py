"""Portal requests over real NATS: a viewer reaches only the tickets in its scope."""

import uuid

import httpx
import msgspec
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from helpdesk_contracts.enums import InteractionType, TicketStatus
from tests.support.servers import wait_until
from tests.ticket_service.helpers import (
    TicketsApi,
    agent_client,
    inbound_mail,
    publish_mail,
    unique,
)
from tests.ticket_service.portal_support import (
    Account,
    attachment,
    attachment_info,
    create_contact,
    insert_interaction,
    list_tickets,
    new_account,
    open_portal_ticket,
    reply,
    show,
)


def without_envelope(message: msgspec.Struct) -> dict[str, object]:
    fields = msgspec.to_builtins(message)
    assert isinstance(fields, dict)
    return {key: value for key, value in fields.items() if key not in ("id", "occurred_at")}


HIDDEN_TYPES = ("INTERNAL_NOTE", "NOTE", "PHONE_CALL", "MEETING", "SYSTEM")


async def test_foreign_ticket_answers_as_missing(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    viewer = await new_account(customer_api)
    stranger = await new_account(customer_api)
    own = await open_portal_ticket(nats_connection, viewer, unique("Own printer"))
    foreign = await open_portal_ticket(nats_connection, stranger, unique("Foreign printer"))
    assert foreign.number is not None
    missing_number = foreign.number + 1_000_000

    listed = await list_tickets(nats_connection, viewer)
    shown = await show(nats_connection, viewer, foreign.number)
    shown_missing = await show(nats_connection, viewer, missing_number)
    replied = await reply(nats_connection, viewer, foreign.number, "Let me in")
    replied_missing = await reply(nats_connection, viewer, missing_number, "Let me in")
    blank_reply = await reply(nats_connection, viewer, foreign.number, "   ")

    assert [ticket.number for ticket in listed.tickets] == [own.number]
    assert shown.ticket is None
    assert shown_missing.ticket is None
    # Apart from the message id and time, the two replies are identical.
    assert without_envelope(replied) == without_envelope(replied_missing)
    assert not replied.found
    assert replied.interaction_id is None
    assert not blank_reply.found
    assert blank_reply.field_errors == ()
    detail = await tickets.detail(str(foreign.ticket_id))
    assert [i["type"] for i in detail["interactions"]] == ["PORTAL_MESSAGE"]


async def test_foreign_attachment_answers_as_missing(
    customer_api: httpx.AsyncClient,
    tickets: TicketsApi,
    nats_connection: NatsClient,
    js: JetStreamContext,
) -> None:
    viewer = await new_account(customer_api)
    stranger = await new_account(customer_api)
    foreign_file = attachment_info(uuid.uuid4().bytes, "contract.pdf")
    subject = unique("Invoice copy")
    mail = msgspec.structs.replace(
        inbound_mail(subject, stranger.address), attachments=(foreign_file,)
    )
    await publish_mail(js, mail)
    foreign = await tickets.wait_for_subject(subject)
    own = await open_portal_ticket(nats_connection, viewer, unique("Own invoice"))
    assert own.number is not None

    by_foreign_number = await attachment(
        nats_connection, viewer, foreign["number"], foreign_file.sha256
    )
    by_own_number = await attachment(nats_connection, viewer, own.number, foreign_file.sha256)
    by_owner = await attachment(nats_connection, stranger, foreign["number"], foreign_file.sha256)

    assert by_foreign_number.attachment is None
    assert by_own_number.attachment is None
    assert by_owner.attachment == foreign_file


async def test_internal_attachment_answers_as_missing(
    customer_api: httpx.AsyncClient,
    tickets: TicketsApi,
    nats_connection: NatsClient,
    database_url: str,
) -> None:
    viewer = await new_account(customer_api)
    own = await open_portal_ticket(nats_connection, viewer, unique("Screenshots"))
    assert own.number is not None and own.ticket_id is not None
    internal_files = {
        kind: attachment_info(uuid.uuid4().bytes, f"{kind.lower()}.pdf") for kind in HIDDEN_TYPES
    }
    for kind, info in internal_files.items():
        await insert_interaction(
            database_url, own.ticket_id, kind, customer_visible=False, attachments=(info,)
        )
    # A row whose flag disagrees with the visibility table stays hidden too.
    flagged_file = attachment_info(uuid.uuid4().bytes, "flagged.pdf")
    await insert_interaction(
        database_url,
        own.ticket_id,
        "INTERNAL_NOTE",
        customer_visible=True,
        attachments=(flagged_file,),
    )

    for kind, info in internal_files.items():
        found = await attachment(nats_connection, viewer, own.number, info.sha256)
        assert found.attachment is None, kind
    flagged = await attachment(nats_connection, viewer, own.number, flagged_file.sha256)
    view = await show(nats_connection, viewer, own.number)

    assert flagged.attachment is None
    assert view.ticket is not None
    assert [i.type for i in view.ticket.interactions] == [InteractionType.PORTAL_MESSAGE]
    assert all(i.attachments == () for i in view.ticket.interactions)


async def test_view_shows_only_visible_interactions(
    customer_api: httpx.AsyncClient,
    tickets: TicketsApi,
    nats_connection: NatsClient,
    database_url: str,
) -> None:
    viewer = await new_account(customer_api)
    own = await open_portal_ticket(nats_connection, viewer, unique("VPN drops"))
    assert own.number is not None
    ticket_id = str(own.ticket_id)
    for note_type in ("INTERNAL_NOTE", "NOTE", "PHONE_CALL", "MEETING"):
        body = {"text": f"secret-{note_type.lower()} words", "author": "Dana", "type": note_type}
        response = await tickets.client.post(f"/tickets/{ticket_id}/notes", json=body)
        assert response.status_code == 201, response.text
    answered = await tickets.client.post(
        f"/tickets/{ticket_id}/replies", json={"text": "Try again now."}
    )
    assert answered.status_code == 201, answered.text
    base_url = str(tickets.client.base_url)
    async with agent_client(base_url, database_url, "dana", display_name="Dana Smith") as dana:
        named = await dana.post(f"/tickets/{ticket_id}/replies", json={"text": "Fixed for good."})
    assert named.status_code == 201, named.text
    changed = await tickets.patch(ticket_id, {"status": "Waiting on Customer"})
    assert changed.status_code == 200, changed.text

    view = (await show(nats_connection, viewer, own.number)).ticket

    assert view is not None
    assert view.status is TicketStatus.WAITING_ON_CUSTOMER
    assert [i.type.value for i in view.interactions] == [
        "PORTAL_MESSAGE",
        "EMAIL_OUTBOUND",
        "EMAIL_OUTBOUND",
    ]
    assert [i.from_customer for i in view.interactions] == [True, False, False]
    # Agents are shown by their display names, never by their handles.
    assert view.interactions[1].author_name == "Test Admin"
    assert view.interactions[2].author_name == "Dana Smith"
    assert view.interactions[0].author_name.startswith("Contact ")
    assert not any("secret" in i.text_body for i in view.interactions)


async def test_search_matches_only_visible_text(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    viewer = await new_account(customer_api)
    own = await open_portal_ticket(nats_connection, viewer, unique("Keyboard"))
    hidden_word = f"zebra{uuid.uuid4().hex[:6]}"
    visible_word = f"giraffe{uuid.uuid4().hex[:6]}"
    body = {"text": f"{hidden_word} is the root cause", "author": "Dana", "type": "INTERNAL_NOTE"}
    response = await tickets.client.post(f"/tickets/{own.ticket_id}/notes", json=body)
    assert response.status_code == 201, response.text
    answered = await tickets.reply(str(own.ticket_id), f"Please check the {visible_word} cable.")
    assert answered.status_code == 201, answered.text

    hidden = await list_tickets(nats_connection, viewer, search=hidden_word)
    visible = await list_tickets(nats_connection, viewer, search=visible_word)

    assert hidden.tickets == ()
    assert [ticket.number for ticket in visible.tickets] == [own.number]


async def test_colleague_tickets_need_the_flag(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    first = await new_account(customer_api)
    colleague = await create_contact(customer_api, first.customer_id, first.domain)
    theirs = await open_portal_ticket(nats_connection, colleague, unique("Colleague laptop"))
    assert theirs.number is not None

    before_list = await list_tickets(nats_connection, first)
    before_show = await show(nats_connection, first, theirs.number)
    flagged = await customer_api.patch(
        f"/contacts/{first.contact_id}", json={"sees_all_customer_tickets": True}
    )
    assert flagged.status_code == 200, flagged.text
    after_list = await list_tickets(nats_connection, first)
    after_show = await show(nats_connection, first, theirs.number)
    colleague_list = await list_tickets(nats_connection, colleague)

    assert before_list.tickets == ()
    assert before_show.ticket is None
    assert [ticket.number for ticket in after_list.tickets] == [theirs.number]
    assert after_show.ticket is not None
    assert after_show.ticket.interactions[0].from_customer
    assert [ticket.number for ticket in colleague_list.tickets] == [theirs.number]


async def test_flag_without_customer_sees_own_only(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    address = f"{uuid.uuid4().hex[:8]}@solo-{uuid.uuid4().hex[:6]}.test"
    created = await customer_api.post(
        "/contacts", json={"emails": [address], "sees_all_customer_tickets": True}
    )
    assert created.status_code == 201, created.text
    loner = Account(uuid.UUID(created.json()["id"]), uuid.uuid4(), address, "")
    other = await new_account(customer_api)
    await open_portal_ticket(nats_connection, other, unique("Not for the loner"))
    own = await open_portal_ticket(nats_connection, loner, unique("Loner ticket"))

    listed = await list_tickets(nats_connection, loner)

    assert [ticket.number for ticket in listed.tickets] == [own.number]


async def test_unknown_viewer_sees_nothing(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    someone = await new_account(customer_api)
    theirs = await open_portal_ticket(nats_connection, someone, unique("Someone's ticket"))
    assert theirs.number is not None
    ghost = Account(uuid.uuid4(), someone.customer_id, "ghost@nowhere.test", someone.domain)

    listed = await list_tickets(nats_connection, ghost)
    shown = await show(nats_connection, ghost, theirs.number)
    replied = await reply(nats_connection, ghost, theirs.number, "Hello")

    assert listed.tickets == ()
    assert shown.ticket is None
    assert not replied.found


async def test_list_pages_and_filters_by_status(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    viewer = await new_account(customer_api)
    numbers = []
    for index in range(5):
        created = await open_portal_ticket(nats_connection, viewer, unique(f"Request {index}"))
        numbers.append(created.number)
    resolved = await tickets.patch(str(created.ticket_id), {"status": "Resolved"})
    assert resolved.status_code == 200, resolved.text

    pages = []
    cursor = None
    while True:
        page = await list_tickets(nats_connection, viewer, limit=2, after=cursor)
        pages.append([ticket.number for ticket in page.tickets])
        cursor = page.next_cursor
        if cursor is None:
            break
    only_resolved = await list_tickets(nats_connection, viewer, statuses=(TicketStatus.RESOLVED,))

    # The Resolved ticket changed last, so it leads; the others follow newest first.
    expected = [numbers[4], numbers[3], numbers[2], numbers[1], numbers[0]]
    assert pages == [expected[0:2], expected[2:4], expected[4:5]]
    assert [ticket.number for ticket in only_resolved.tickets] == [numbers[4]]


async def test_email_ticket_of_contact_listed(
    customer_api: httpx.AsyncClient,
    tickets: TicketsApi,
    nats_connection: NatsClient,
    js: JetStreamContext,
) -> None:
    viewer = await new_account(customer_api)
    subject = unique("Mailed question")
    await publish_mail(js, inbound_mail(subject, viewer.address, name="Mia Mail"))
    mailed = await tickets.wait_for_subject(subject)

    async def listed() -> list[int]:
        page = await list_tickets(nats_connection, viewer)
        return [ticket.number for ticket in page.tickets]

    numbers = await wait_until(listed)
    view = (await show(nats_connection, viewer, mailed["number"])).ticket

    assert numbers == [mailed["number"]]
    assert view is not None
    assert view.interactions[0].author_name == "Mia Mail"
