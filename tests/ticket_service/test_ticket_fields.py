"""Assignees, team, tags and category: changes, audit history, events and validation."""

import uuid

import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import AgentMentioned, TicketFieldsChanged
from tests.ticket_service.helpers import (
    TEST_ADMIN,
    TicketsApi,
    collect,
    events_for,
    open_ticket,
    unique,
)


@pytest.fixture(scope="module", autouse=True)
async def people(tickets: TicketsApi) -> None:
    """The agents and teams the tests assign tickets to."""
    await tickets.ensure_agents("alice", "bob", "carol")
    await tickets.ensure_teams("tier-1", "tier-2")


async def create_category(tickets: TicketsApi, name: str) -> None:
    response = await tickets.client.post("/categories", json={"name": name})
    assert response.status_code == 201, response.text


async def test_assignees_add_and_remove_keep_others(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket = await open_ticket(tickets, js)
    path = f"/tickets/{ticket['id']}/assignees"

    first = await tickets.client.post(path, json={"agent": "alice", "actor": "lead"})
    second = await tickets.client.post(path, json={"agent": "bob"}, headers={"If-Match": '"2"'})
    again = await tickets.client.post(path, json={"agent": "bob"})
    removed = await tickets.client.delete(f"{path}/alice", params={"actor": "lead"})

    assert first.status_code == 200, first.text
    assert first.json()["assigned_to"] == ["alice"]
    assert second.status_code == 200, second.text
    assert second.json()["assigned_to"] == ["alice", "bob"]
    assert again.json()["version"] == 3
    assert removed.status_code == 200, removed.text
    assert removed.json()["assigned_to"] == ["bob"]
    assert removed.headers["etag"] == '"4"'


async def test_assignee_stale_if_match_rejected(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket = await open_ticket(tickets, js)
    path = f"/tickets/{ticket['id']}/assignees"

    added = await tickets.client.post(path, json={"agent": "alice"}, headers={"If-Match": '"9"'})
    removed = await tickets.client.delete(f"{path}/alice", headers={"If-Match": '"9"'})
    tagged = await tickets.client.put(
        f"/tickets/{ticket['id']}/tags", json={"tags": ["x"]}, headers={"If-Match": '"9"'}
    )

    assert added.status_code == 412
    assert removed.status_code == 412
    assert tagged.status_code == 412


async def test_audit_records_every_field(tickets: TicketsApi, js: JetStreamContext) -> None:
    category = unique("billing")
    await create_category(tickets, category)
    ticket = await open_ticket(tickets, js)

    response = await tickets.patch(
        ticket["id"],
        {
            "status": "In Progress",
            "priority": "High",
            "assigned_to": ["alice"],
            "assigned_team": "tier-2",
            "tags": ["VIP"],
            "category": category,
            "actor": "lead",
        },
    )
    cleared = await tickets.patch(ticket["id"], {"assigned_team": None, "actor": "lead"})

    assert response.status_code == 200, response.text
    assert cleared.status_code == 200, cleared.text
    audit = [(e["field"], e["old_value"], e["new_value"]) for e in cleared.json()["audit"]]
    assert ("status", "Open", "In Progress") in audit
    assert ("priority", "Medium", "High") in audit
    assert ("assigned_to", [], ["alice"]) in audit
    assert ("assigned_team", None, "tier-2") in audit
    assert ("tags", [], ["vip"]) in audit
    assert ("category", None, category) in audit
    assert audit[-1] == ("assigned_team", "tier-2", None)
    assert {e["actor"] for e in cleared.json()["audit"]} == {TEST_ADMIN}
    assert cleared.json()["assigned_team"] is None
    assert cleared.json()["category"] == category


async def test_system_interactions_narrate_changes(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket = await open_ticket(tickets, js)

    await tickets.patch(ticket["id"], {"status": "Pending", "actor": "lead"})
    await tickets.client.post(f"/tickets/{ticket['id']}/assignees", json={"agent": "alice"})
    detail = await tickets.detail(ticket["id"])

    system = [i for i in detail["interactions"] if i["type"] == "SYSTEM"]
    assert [i["text_body"] for i in system] == [
        f"Status changed from Open to Pending by {TEST_ADMIN}.",
        f"Ticket assigned to alice by {TEST_ADMIN}.",
    ]
    assert all(i["customer_visible"] is False for i in system)
    assert detail["version"] == 3


async def test_tags_are_normalized(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket = await open_ticket(tickets, js)

    response = await tickets.client.put(
        f"/tickets/{ticket['id']}/tags", json={"tags": [" Billing ", "billing", "VIP", "vip "]}
    )

    assert response.status_code == 200, response.text
    assert response.json()["tags"] == ["billing", "vip"]


async def test_blank_tag_names_field(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket = await open_ticket(tickets, js)

    response = await tickets.client.put(f"/tickets/{ticket['id']}/tags", json={"tags": ["  "]})

    assert response.status_code == 400
    fields = [error["field"] for error in response.json()["errors"]]
    assert any("tags" in field for field in fields)


async def test_unknown_category_names_field(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket = await open_ticket(tickets, js)

    response = await tickets.patch(ticket["id"], {"category": unique("no such category")})
    detail = await tickets.detail(ticket["id"])

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "$.category"
    assert detail["version"] == 1


async def test_categories_list_and_create(tickets: TicketsApi) -> None:
    name = unique("hardware")

    created = await tickets.client.post("/categories", json={"name": f"  {name} "})
    repeated = await tickets.client.post("/categories", json={"name": name})
    listed = await tickets.client.get("/categories")

    assert created.status_code == 201, created.text
    assert created.json()["name"] == name
    assert repeated.status_code == 201
    assert [c["name"] for c in listed.json()].count(name) == 1


async def test_field_changes_emit_event(
    tickets: TicketsApi, js: JetStreamContext, nats_connection: NatsClient
) -> None:
    changes = await collect(nats_connection, subjects.TICKET_FIELDS_CHANGED, TicketFieldsChanged)
    ticket = await open_ticket(tickets, js)

    await tickets.patch(ticket["id"], {"assigned_team": "tier-1", "tags": ["a"], "actor": "lead"})
    await tickets.client.post(f"/tickets/{ticket['id']}/assignees", json={"agent": "carol"})
    first, second = await events_for(changes, ticket["id"], 2)

    assert first.fields == ("assigned_team", "tags")
    assert first.actor == TEST_ADMIN
    assert first.version == 2
    assert second.fields == ("assigned_to",)
    assert second.assigned_to == ("carol",)
    assert second.assigned_team == "tier-1"
    assert second.tags == ("a",)


async def test_internal_note_mentions_agents(
    tickets: TicketsApi, js: JetStreamContext, nats_connection: NatsClient
) -> None:
    mentions = await collect(nats_connection, subjects.TICKET_AGENT_MENTIONED, AgentMentioned)
    ticket = await open_ticket(tickets, js)
    text = "@alice please check with @bob.smith, mail jane@customer.test. Thanks @alice."

    note = await tickets.client.post(
        f"/tickets/{ticket['id']}/notes",
        json={"text": text, "author": "carol", "type": "INTERNAL_NOTE"},
    )
    public = await tickets.client.post(
        f"/tickets/{ticket['id']}/notes", json={"text": "@dave hi", "author": "carol"}
    )
    found = await events_for(mentions, ticket["id"], 2)

    assert note.status_code == 201, note.text
    assert public.status_code == 201, public.text
    assert [m.agent for m in found] == ["alice", "bob.smith"]
    assert {m.interaction_id for m in found} == {uuid.UUID(note.json()["id"])}
    assert {m.author for m in found} == {TEST_ADMIN}
