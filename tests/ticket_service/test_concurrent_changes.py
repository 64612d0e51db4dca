"""Agents changing one ticket at the same time: If-Match races and lost updates."""

import asyncio
from typing import Any

import httpx
from nats.js import JetStreamContext

from tests.ticket_service.helpers import TicketsApi, open_ticket, without_system

CONCURRENT_REQUESTS = 8


async def test_same_if_match_patch_one_wins(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket = await open_ticket(tickets, js)
    etag = f'"{ticket["version"]}"'

    responses = await asyncio.gather(
        tickets.patch(ticket["id"], {"priority": "High"}, **{"If-Match": etag}),
        tickets.patch(ticket["id"], {"priority": "Low"}, **{"If-Match": etag}),
    )
    statuses = sorted(response.status_code for response in responses)
    winner = next(response for response in responses if response.status_code == 200)
    loser = next(response for response in responses if response.status_code != 200)
    final = await tickets.detail(ticket["id"])

    assert statuses == [200, 412]
    assert loser.headers["content-type"].startswith("application/problem+json")
    assert loser.json()["status"] == 412
    # The loser learns the version it lost to, so it can reload and retry.
    assert loser.headers["etag"] == f'"{ticket["version"] + 1}"'
    assert final["priority"] == winner.json()["priority"]
    assert final["version"] == ticket["version"] + 1
    assert len([e for e in final["audit"] if e["field"] == "priority"]) == 1


async def test_same_if_match_reply_one_wins(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket = await open_ticket(tickets, js)
    etag = f'"{ticket["version"]}"'

    responses = await asyncio.gather(
        tickets.reply(ticket["id"], "First answer", **{"If-Match": etag}),
        tickets.reply(ticket["id"], "Second answer", **{"If-Match": etag}),
    )
    statuses = sorted(response.status_code for response in responses)
    final = await tickets.detail(ticket["id"])
    replies = [i for i in final["interactions"] if i["type"] == "EMAIL_OUTBOUND"]

    assert statuses == [201, 412]
    assert len(replies) == 1


async def test_concurrent_replies_all_recorded(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket = await open_ticket(tickets, js)
    texts = [f"Answer {index}" for index in range(CONCURRENT_REQUESTS)]

    responses = await asyncio.gather(*(tickets.reply(ticket["id"], text) for text in texts))
    final = await tickets.detail(ticket["id"])
    replies = [i for i in final["interactions"] if i["type"] == "EMAIL_OUTBOUND"]

    assert [response.status_code for response in responses] == [201] * CONCURRENT_REQUESTS
    assert sorted(reply["text_body"] for reply in replies) == sorted(texts)
    assert len({reply["message_id"] for reply in replies}) == CONCURRENT_REQUESTS
    assert final["version"] == ticket["version"] + CONCURRENT_REQUESTS


async def test_concurrent_assignees_all_kept(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket = await open_ticket(tickets, js)
    agents = [f"agent{index}" for index in range(CONCURRENT_REQUESTS)]
    await tickets.ensure_agents(*agents)

    responses = await asyncio.gather(
        *(
            tickets.client.post(f"/tickets/{ticket['id']}/assignees", json={"agent": agent})
            for agent in agents
        )
    )
    final = await tickets.detail(ticket["id"])

    assert [response.status_code for response in responses] == [200] * CONCURRENT_REQUESTS
    assert sorted(final["assigned_to"]) == sorted(agents)


async def test_mixed_changes_at_once_all_kept(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket = await open_ticket(tickets, js)
    ticket_path = f"/tickets/{ticket['id']}"
    client = tickets.client
    await tickets.ensure_agents("ann")

    requests: list[Any] = [
        tickets.patch(ticket["id"], {"priority": "Urgent"}),
        tickets.patch(ticket["id"], {"status": "In Progress"}),
        client.put(f"{ticket_path}/tags", json={"tags": ["billing", "vip"]}),
        client.post(f"{ticket_path}/assignees", json={"agent": "ann"}),
        tickets.reply(ticket["id"], "We are on it."),
        client.post(f"{ticket_path}/notes", json={"text": "Called them.", "author": "ann"}),
    ]
    responses: list[httpx.Response] = await asyncio.gather(*requests)
    final = await tickets.detail(ticket["id"])
    kinds = sorted(i["type"] for i in without_system(final["interactions"]))

    assert all(response.status_code in (200, 201) for response in responses), [
        response.text for response in responses
    ]
    assert final["priority"] == "Urgent"
    assert final["status"] == "In Progress"
    assert final["tags"] == ["billing", "vip"]
    assert final["assigned_to"] == ["ann"]
    assert kinds == ["EMAIL_INBOUND", "EMAIL_OUTBOUND", "NOTE"]
    audited = {entry["field"] for entry in final["audit"]}
    assert {"priority", "status", "tags", "assigned_to"} <= audited
