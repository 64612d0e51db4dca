"""Routing rules on new tickets, and tickets created through the API."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import EmailAddress, TicketCreated
from tests.ticket_service.helpers import (
    TicketsApi,
    collect,
    events_for,
    inbound_mail,
    publish_mail,
    unique,
)


class Rules:
    """Creates routing rules and deletes them after the test, since rules apply globally."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.created: list[str] = []

    async def add(self, **body: Any) -> dict[str, Any]:
        if "set_team" in body:
            team = await self.client.post("/teams", json={"name": body["set_team"]})
            assert team.status_code in (201, 409), team.text
        response = await self.client.post("/routing-rules", json=body)
        assert response.status_code == 201, response.text
        self.created.append(response.json()["id"])
        return dict(response.json())


@pytest.fixture
async def rules(tickets: TicketsApi) -> AsyncIterator[Rules]:
    created = Rules(tickets.client)
    yield created
    for rule_id in created.created:
        await tickets.client.delete(f"/routing-rules/{rule_id}")


async def create_category(tickets: TicketsApi, name: str) -> None:
    response = await tickets.client.post("/categories", json={"name": name})
    assert response.status_code == 201, response.text


async def test_rules_apply_in_position_order(
    tickets: TicketsApi, js: JetStreamContext, rules: Rules
) -> None:
    keyword = uuid.uuid4().hex[:10]
    category = unique("outage")
    await create_category(tickets, category)
    await rules.add(
        name="later", position=20, subject_keywords=[keyword], set_team="tier-2", add_tags=["b"]
    )
    await rules.add(
        name="first",
        position=10,
        subject_keywords=[keyword],
        set_team="tier-1",
        set_priority="High",
        set_category=category,
        add_tags=["A"],
    )
    await rules.add(name="by category", position=30, category=category, add_tags=["c"])
    await rules.add(name="other", position=5, subject_keywords=["zz-no-match-zz"], set_team="x")

    message = inbound_mail(f"Site down {keyword.upper()}", "ops@customer.test")
    await publish_mail(js, message)
    ticket = await tickets.wait_for_subject(message.subject)

    assert ticket["assigned_team"] == "tier-2"
    assert ticket["priority"] == "High"
    assert ticket["category"] == category
    assert ticket["tags"] == ["a", "b", "c"]
    routed = {(e["field"], e["actor"]) for e in ticket["audit"]}
    assert ("assigned_team", "routing") in routed
    assert ("tags", "routing") in routed


async def test_rule_matches_recipient_and_tier(
    tickets: TicketsApi, js: JetStreamContext, customer_api: httpx.AsyncClient, rules: Rules
) -> None:
    domain = f"gold-{uuid.uuid4().hex[:8]}.test"
    created = await customer_api.post(
        "/customers", json={"name": "Gold Corp", "tier": "Premium", "domains": [domain]}
    )
    assert created.status_code == 201, created.text
    recipient = f"vip-{uuid.uuid4().hex[:8]}@tickets.test"
    await rules.add(name="gold vip", recipient=recipient, customer_tier="premium", set_team="vip")

    to_vip = inbound_mail(unique("Invoice"), f"ann@{domain}")
    to_vip = msgspec.structs.replace(to_vip, to=(EmailAddress(address=recipient.upper()),))
    to_support = inbound_mail(unique("Invoice"), f"bob@{domain}")
    await publish_mail(js, to_vip)
    await publish_mail(js, to_support)
    vip = await tickets.wait_for_subject(to_vip.subject)
    support = await tickets.wait_for_subject(to_support.subject)

    assert vip["customer_tier"] == "Premium"
    assert vip["assigned_team"] == "vip"
    assert support["assigned_team"] is None


async def test_rule_unknown_category_names_field(tickets: TicketsApi) -> None:
    response = await tickets.client.post(
        "/routing-rules", json={"name": "bad", "set_category": unique("missing")}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "$.category"


async def test_rules_list_and_delete(tickets: TicketsApi) -> None:
    created = await tickets.client.post(
        "/routing-rules", json={"name": unique("rule"), "subject_keywords": ["zz-never-zz"]}
    )
    rule_id = created.json()["id"]

    listed = await tickets.client.get("/routing-rules")
    deleted = await tickets.client.delete(f"/routing-rules/{rule_id}")
    again = await tickets.client.delete(f"/routing-rules/{rule_id}")

    assert created.status_code == 201, created.text
    assert rule_id in [rule["id"] for rule in listed.json()]
    assert deleted.status_code == 204
    assert again.status_code == 404


async def test_create_ticket_through_api(
    tickets: TicketsApi, nats_connection: NatsClient, rules: Rules
) -> None:
    created_events = await collect(nats_connection, subjects.TICKET_CREATED, TicketCreated)
    keyword = uuid.uuid4().hex[:10]
    await rules.add(name="web", subject_keywords=[keyword], set_team="web-team", add_tags=["web"])
    body = {
        "subject": f"Order {keyword} missing",
        "text": "Ordered last week, nothing arrived.",
        "requester_email": f"{uuid.uuid4().hex[:8]}@customer.test",
        "requester_name": "Jane Roe",
        "source": "web",
        "priority": "Urgent",
        "tags": ["Shipping"],
    }

    response = await tickets.client.post("/tickets", json=body)
    ticket = response.json()
    [event] = await events_for(created_events, ticket["id"], 1)

    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"1"'
    assert ticket["source"] == "web"
    assert ticket["source_email"] == body["requester_email"]
    assert ticket["primary_contact_id"] is not None
    assert ticket["priority"] == "Urgent"
    assert ticket["assigned_team"] == "web-team"
    assert ticket["tags"] == ["web", "shipping"]
    assert [i["text_body"] for i in ticket["interactions"]] == [body["text"]]
    assert event.source.value == "web"
    assert event.assigned_team == "web-team"
    assert event.priority.value == "Urgent"


async def test_create_ticket_rejects_bad_input(tickets: TicketsApi) -> None:
    base = {"subject": "Hi", "text": "Hello", "requester_email": "jane@customer.test"}

    bad_email = await tickets.client.post("/tickets", json={**base, "requester_email": "jane"})
    bad_source = await tickets.client.post("/tickets", json={**base, "source": "email"})
    bad_category = await tickets.client.post(
        "/tickets", json={**base, "category": unique("missing")}
    )

    assert bad_email.status_code == 400
    assert "requester_email" in bad_email.json()["errors"][0]["field"]
    assert bad_source.status_code == 400
    assert "source" in bad_source.json()["errors"][0]["field"]
    assert bad_category.status_code == 400
    assert bad_category.json()["errors"][0]["field"] == "$.category"
