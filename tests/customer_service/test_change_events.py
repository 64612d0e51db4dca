"""Change events written to the outbox and merging contacts."""

import uuid
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import httpx
import msgspec
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import (
    ContactMoved,
    ContactsMerged,
    CustomerDomainAdded,
    CustomerTierChanged,
)
from tests.customer_service.conftest import unique_domain
from tests.support.servers import wait_until

EventT = TypeVar("EventT")


class EventRecorder:
    """Every `customer.events.>` message seen on core NATS, by subject."""

    def __init__(self) -> None:
        self.messages: list[Msg] = []

    async def on_message(self, message: Msg) -> None:
        self.messages.append(message)

    def decoded(self, subject: str, event_type: type[EventT]) -> list[EventT]:
        return [
            msgspec.json.decode(m.data, type=event_type)
            for m in self.messages
            if m.subject == subject
        ]


@pytest.fixture
async def events(nats_client: NatsClient) -> AsyncIterator[EventRecorder]:
    recorder = EventRecorder()
    subscription = await nats_client.subscribe("customer.events.>", cb=recorder.on_message)
    await nats_client.flush()
    yield recorder
    await subscription.unsubscribe()


async def create(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(path, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_tier_change_published(api: httpx.AsyncClient, events: EventRecorder) -> None:
    customer = await create(api, "/customers", {"name": "Tiered", "tier": "Standard"})
    customer_id = uuid.UUID(customer["id"])

    response = await api.patch(f"/customers/{customer_id}", json={"tier": "Premium"})

    assert response.status_code == 200
    changes = await wait_until(
        lambda: _matching(
            events, subjects.CUSTOMER_TIER_CHANGED, CustomerTierChanged, customer_id=customer_id
        )
    )
    assert (changes[0].from_tier, changes[0].to_tier) == ("Standard", "Premium")


async def test_domain_added_published(api: httpx.AsyncClient, events: EventRecorder) -> None:
    customer = await create(api, "/customers", {"name": "Growing"})
    customer_id = uuid.UUID(customer["id"])
    domain = unique_domain("added")

    response = await api.post(f"/customers/{customer_id}/domains", json={"domain": domain.upper()})

    assert response.status_code == 201
    assert response.json()["domains"] == [domain]
    added = await wait_until(
        lambda: _matching(
            events, subjects.CUSTOMER_DOMAIN_ADDED, CustomerDomainAdded, customer_id=customer_id
        )
    )
    assert added[0].domain == domain


async def test_contact_move_published(api: httpx.AsyncClient, events: EventRecorder) -> None:
    old = await create(api, "/customers", {"name": "Old Co", "tier": "Free"})
    new = await create(api, "/customers", {"name": "New Co", "tier": "Enterprise"})
    contact = await create(
        api, "/contacts", {"emails": [f"mover@{unique_domain('move')}"], "customer_id": old["id"]}
    )
    contact_id = uuid.UUID(contact["id"])

    response = await api.put(f"/contacts/{contact_id}/customer", json={"customer_id": new["id"]})

    assert response.status_code == 200
    assert response.json()["customer_id"] == new["id"]
    moves = await wait_until(
        lambda: _matching(
            events, subjects.CUSTOMER_CONTACT_MOVED, ContactMoved, contact_id=contact_id
        )
    )
    assert moves[0].from_customer_id == uuid.UUID(old["id"])
    assert moves[0].to_customer_id == uuid.UUID(new["id"])
    assert moves[0].customer_tier == "Enterprise"


async def test_merge_keeps_addresses_and_time(
    api: httpx.AsyncClient, events: EventRecorder
) -> None:
    domain = unique_domain("merge")
    target = await create(
        api, "/contacts", {"name": "Sam", "emails": [f"sam@{domain}"], "phones": ["111"]}
    )
    source = await create(
        api,
        "/contacts",
        {"emails": [f"s.smith@{domain}", f"sam.home@{domain}"], "phones": ["222", "111"]},
    )
    entry = {"minutes": 15, "agent": "bob", "spent_on": "2026-11-01", "contact_id": source["id"]}
    await create(api, "/time-entries", entry)

    response = await api.post(f"/contacts/{source['id']}/merge", json={"into": target["id"]})

    assert response.status_code == 201, response.text
    merged = response.json()
    assert merged["emails"] == sorted([f"sam@{domain}", f"s.smith@{domain}", f"sam.home@{domain}"])
    assert merged["phones"] == ["111", "222"]
    assert (await api.get(f"/contacts/{source['id']}")).status_code == 404
    entries = (await api.get("/time-entries", params={"contact_id": target["id"]})).json()
    assert [e["minutes"] for e in entries] == [15]
    found = (await api.get("/contacts", params={"email": f"S.Smith@{domain}"})).json()
    assert [c["id"] for c in found] == [target["id"]]
    merges = await wait_until(
        lambda: _matching(
            events,
            subjects.CUSTOMER_CONTACTS_MERGED,
            ContactsMerged,
            target_contact_id=uuid.UUID(target["id"]),
        )
    )
    assert merges[0].source_contact_id == uuid.UUID(source["id"])


async def test_merge_into_itself_rejected(api: httpx.AsyncClient) -> None:
    contact = await create(api, "/contacts", {"emails": [f"solo@{unique_domain('self')}"]})

    response = await api.post(f"/contacts/{contact['id']}/merge", json={"into": contact["id"]})

    assert response.status_code == 400


async def _matching(
    events: EventRecorder, subject: str, event_type: type[EventT], **fields: object
) -> list[EventT]:
    return [
        event
        for event in events.decoded(subject, event_type)
        if all(getattr(event, name) == value for name, value in fields.items())
    ]
