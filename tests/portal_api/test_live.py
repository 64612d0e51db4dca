"""Live updates over server-sent events, fed by real ticket events from ticket_service."""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from helpdesk_contracts.enums import InteractionType, TicketPriority, TicketSource, TicketStatus
from helpdesk_contracts.messages import InteractionAdded, TicketCreated
from portal_api.live import LiveHub, LiveListener, ViewerScope
from tests.portal_api.support import (
    AccountMailbox,
    new_client,
    new_customer_contact,
    sign_in_by_link,
    submit_ticket,
)
from tests.support.servers import wait_until
from tests.ticket_service.helpers import TicketsApi, unique


@dataclass
class EventStream:
    """Events read from one SSE response, in order."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [data for name, data in self.events if name == kind]

    async def wait_for(self, kind: str, **expected: Any) -> dict[str, Any]:
        async def arrived() -> dict[str, Any] | None:
            for data in self.of_kind(kind):
                if all(data.get(key) == value for key, value in expected.items()):
                    return data
            return None

        found: dict[str, Any] = await wait_until(arrived)
        return found


async def _read(response: httpx.Response, stream: EventStream) -> None:
    kind = "message"
    async for line in response.aiter_lines():
        if line.startswith(": connected"):
            stream.connected.set()
        elif line.startswith("event: "):
            kind = line[len("event: ") :]
        elif line.startswith("data: "):
            stream.events.append((kind, json.loads(line[len("data: ") :])))
            kind = "message"


@contextlib.asynccontextmanager
async def listening(client: httpx.AsyncClient, path: str) -> AsyncIterator[EventStream]:
    stream = EventStream()
    async with client.stream("GET", path, timeout=httpx.Timeout(30, read=None)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = asyncio.create_task(_read(response, stream))
        await asyncio.wait_for(stream.connected.wait(), timeout=10)
        try:
            yield stream
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await reader


@dataclass
class Customer:
    client: httpx.AsyncClient
    contact_id: uuid.UUID


@contextlib.asynccontextmanager
async def signed_in_customer(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> AsyncIterator[Customer]:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as client:
        await sign_in_by_link(client, mailbox, customer.address)
        yield Customer(client, customer.contact_id)


async def test_ticket_page_receives_reply_and_status(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox, tickets: TicketsApi
) -> None:
    async with signed_in_customer(portal_url, customer_api, mailbox) as customer:
        number = await submit_ticket(customer.client, unique("Live ticket"))
        ticket = (await tickets.client.get(f"/tickets/by-number/{number}")).json()
        secret = f"internal only {uuid.uuid4().hex}"

        async with listening(customer.client, f"/live/tickets/{number}") as stream:
            note = await tickets.client.post(
                f"/tickets/{ticket['id']}/notes",
                json={"text": secret, "author": "agent@tickets.test", "type": "INTERNAL_NOTE"},
            )
            assert note.status_code == 201, note.text
            replied = await tickets.reply(ticket["id"], "We are on it.")
            assert replied.status_code == 201, replied.text
            reply_event = await stream.wait_for("interaction", text="We are on it.")
            changed = await tickets.patch(ticket["id"], {"status": "Pending"})
            assert changed.status_code == 200, changed.text
            status_event = await stream.wait_for("status", status="Pending")

    assert reply_event["from_customer"] is False
    assert reply_event["author"] is None
    assert reply_event["ticket_id"] == ticket["id"]
    assert status_event["ticket_id"] == ticket["id"]
    assert all(secret not in json.dumps(data) for _, data in stream.events)
    note_id = note.json()["id"]
    assert all(data.get("id") != note_id for _, data in stream.events)


async def test_list_stream_gets_own_new_tickets_only(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox, tickets: TicketsApi
) -> None:
    async with (
        signed_in_customer(portal_url, customer_api, mailbox) as alice,
        signed_in_customer(portal_url, customer_api, mailbox) as bob,
    ):
        existing = await submit_ticket(alice.client, unique("Existing"))
        existing_id = (await tickets.client.get(f"/tickets/by-number/{existing}")).json()["id"]
        async with listening(alice.client, "/live/tickets") as stream:
            bob_subject = unique("Bob's secret")
            await submit_ticket(bob.client, bob_subject)
            alice_subject = unique("Alice's new one")
            new_number = await submit_ticket(alice.client, alice_subject)
            created = await stream.wait_for("ticket", number=new_number)
            changed = await tickets.patch(existing_id, {"status": "Pending"})
            assert changed.status_code == 200
            status = await stream.wait_for("status", ticket_id=existing_id)

    assert created["subject"] == alice_subject
    assert status["status"] == "Pending"
    assert all(bob_subject not in json.dumps(data) for _, data in stream.events)


async def test_live_stream_needs_sign_in(portal_url: str) -> None:
    async with new_client(portal_url) as client:
        response = await client.get("/live/tickets")

    assert response.status_code == 303


def test_hub_never_forwards_hidden_interactions() -> None:
    hub = LiveHub(max_connections=10)
    ticket_id = uuid.uuid4()
    contact = uuid.uuid4()
    listener = LiveListener(
        scope=ViewerScope(contact_id=contact, customer_id=None, sees_all_customer_tickets=False),
        ticket_ids={ticket_id},
        follows_new_tickets=False,
    )
    hub.add(listener)
    base = {
        "ticket_id": ticket_id,
        "interaction_id": uuid.uuid4(),
        "version": 2,
        "created_at": datetime.now(UTC),
        "author": "agent@tickets.test",
        "text_body": "secret",
    }

    hub.dispatch(
        InteractionAdded(type=InteractionType.INTERNAL_NOTE, customer_visible=True, **base)
    )
    hub.dispatch(
        InteractionAdded(type=InteractionType.EMAIL_OUTBOUND, customer_visible=False, **base)
    )
    hub.dispatch(InteractionAdded(type=InteractionType.NOTE, customer_visible=False, **base))

    assert listener.queue.empty()


def test_hub_adopts_customer_wide_tickets_only_when_allowed() -> None:
    hub = LiveHub(max_connections=10)
    customer_id = uuid.uuid4()
    sees_all = LiveListener(
        scope=ViewerScope(uuid.uuid4(), customer_id, sees_all_customer_tickets=True),
        ticket_ids=set(),
        follows_new_tickets=True,
    )
    own_only = LiveListener(
        scope=ViewerScope(uuid.uuid4(), customer_id, sees_all_customer_tickets=False),
        ticket_ids=set(),
        follows_new_tickets=True,
    )
    hub.add(sees_all)
    hub.add(own_only)

    hub.dispatch(
        TicketCreated(
            ticket_id=uuid.uuid4(),
            number=7,
            version=1,
            subject="Colleague's ticket",
            status=TicketStatus.OPEN,
            priority=TicketPriority.MEDIUM,
            source=TicketSource.EMAIL,
            created_at=datetime.now(UTC),
            customer_id=customer_id,
            primary_contact_id=uuid.uuid4(),
        )
    )

    assert sees_all.queue.qsize() == 1
    assert own_only.queue.empty()
