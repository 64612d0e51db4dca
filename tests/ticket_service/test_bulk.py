"""`POST /tickets/bulk`: one change to many tickets, reported per ticket."""

import uuid

from nats.js import JetStreamContext

from tests.ticket_service.helpers import TicketsApi, open_ticket


async def test_bulk_reports_each_ticket(tickets: TicketsApi, js: JetStreamContext) -> None:
    await tickets.ensure_agents("alice", "bob")
    await tickets.ensure_teams("tier-2")
    first = await open_ticket(tickets, js)
    second = await open_ticket(tickets, js)
    closed = await open_ticket(tickets, js)
    await tickets.patch(closed["id"], {"status": "Closed"})
    await tickets.client.post(f"/tickets/{second['id']}/assignees", json={"agent": "alice"})
    missing = str(uuid.uuid4())

    response = await tickets.client.post(
        "/tickets/bulk",
        json={
            "tickets": [
                {"id": first["id"], "version": 1},
                {"id": second["id"]},
                {"id": closed["id"]},
                {"id": missing},
                {"id": first["id"], "version": 1},
            ],
            "changes": {
                "status": "In Progress",
                "priority": "High",
                "assigned_team": "tier-2",
                "add_assignee": "bob",
                "add_tags": ["Outage"],
            },
            "actor": "lead",
        },
    )

    assert response.status_code == 200, response.text
    results = [(r["outcome"], r["status"], r["version"]) for r in response.json()["results"]]
    assert results == [
        ("updated", 200, 2),
        ("updated", 200, 3),
        ("failed", 409, None),
        ("failed", 404, None),
        ("failed", 412, None),
    ]
    updated = await tickets.detail(second["id"])
    assert updated["status"] == "In Progress"
    assert updated["priority"] == "High"
    assert updated["assigned_team"] == "tier-2"
    assert updated["assigned_to"] == ["alice", "bob"]
    assert updated["tags"] == ["outage"]
    assert (await tickets.detail(closed["id"]))["assigned_team"] is None


async def test_bulk_same_values_unchanged(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket = await open_ticket(tickets, js)

    response = await tickets.client.post(
        "/tickets/bulk", json={"tickets": [{"id": ticket["id"]}], "changes": {"status": "Open"}}
    )

    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["outcome"] == "unchanged"
    assert response.json()["results"][0]["version"] == 1


async def test_bulk_rejects_empty_change(tickets: TicketsApi) -> None:
    empty = await tickets.client.post(
        "/tickets/bulk", json={"tickets": [{"id": str(uuid.uuid4())}], "changes": {}}
    )
    no_tickets = await tickets.client.post(
        "/tickets/bulk", json={"tickets": [], "changes": {"priority": "Low"}}
    )

    assert empty.status_code == 400
    assert empty.json()["errors"][0]["field"] == "$.changes"
    assert no_tickets.status_code == 400
    assert "tickets" in no_tickets.json()["errors"][0]["field"]
