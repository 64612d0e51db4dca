"""Merging a ticket into another, and mail that arrives for the merged ticket later."""

import uuid
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import TicketMerged
from tests.ticket_service.helpers import (
    TEST_ADMIN,
    TicketsApi,
    collect,
    events_for,
    inbound_mail,
    publish_mail,
    unique,
    without_system,
)


async def open_with_message(
    tickets: TicketsApi, js: JetStreamContext
) -> tuple[dict[str, Any], str]:
    message = inbound_mail(unique("Printer jam"), f"{uuid.uuid4().hex[:8]}@customer.test")
    await publish_mail(js, message)
    return await tickets.wait_for_subject(message.subject), message.message_id


async def test_merge_moves_interactions(
    tickets: TicketsApi, js: JetStreamContext, nats_connection: NatsClient
) -> None:
    merged_events = await collect(nats_connection, subjects.TICKET_MERGED, TicketMerged)
    source, source_message = await open_with_message(tickets, js)
    target, target_message = await open_with_message(tickets, js)

    response = await tickets.client.post(
        f"/tickets/{source['id']}/merge",
        json={"into": target["id"], "actor": "lead"},
        headers={"If-Match": '"1"'},
    )
    merged_target = await tickets.detail(target["id"])
    [event] = await events_for(merged_events, source["id"], 1)

    assert response.status_code == 200, response.text
    merged = response.json()
    assert merged["status"] == "Closed"
    assert merged["merged_into"] == target["id"]
    assert response.headers["etag"] == '"2"'
    assert [i["type"] for i in merged["interactions"]] == ["SYSTEM", "SYSTEM"]
    assert merged["interactions"][-1]["text_body"] == (
        f"Merged into ticket #{target['number']} by {TEST_ADMIN}."
    )
    assert ("merged_into", None, target["id"]) in [
        (e["field"], e["old_value"], e["new_value"]) for e in merged["audit"]
    ]
    moved = [i["message_id"] for i in without_system(merged_target["interactions"])]
    assert sorted(moved) == sorted([source_message, target_message])
    assert merged_target["interactions"][-1]["text_body"] == (
        f"Ticket #{source['number']} merged into this ticket by {TEST_ADMIN}."
    )
    assert source["primary_contact_id"] in merged_target["contact_ids"]
    assert ("merged_from", None, source["id"]) in [
        (e["field"], e["old_value"], e["new_value"]) for e in merged_target["audit"]
    ]
    assert event.into_ticket_id == uuid.UUID(target["id"])
    assert event.actor == TEST_ADMIN


async def test_reply_to_merged_ticket_lands_on_target(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    source, source_message = await open_with_message(tickets, js)
    target, _ = await open_with_message(tickets, js)
    response = await tickets.client.post(
        f"/tickets/{source['id']}/merge", json={"into": target["id"]}
    )
    assert response.status_code == 200, response.text

    reply = inbound_mail(
        unique("Re: Printer jam"), source["source_email"], in_reply_to=(source_message,)
    )
    await publish_mail(js, reply)
    threaded = await tickets.wait_for_interactions(target["id"], 3)

    assert threaded["interactions"][-1]["message_id"] == reply.message_id
    assert await tickets.with_subject(reply.subject) is None
    assert without_system((await tickets.detail(source["id"]))["interactions"]) == []


async def test_merge_rejections_name_field(tickets: TicketsApi, js: JetStreamContext) -> None:
    source, _ = await open_with_message(tickets, js)
    closed, _ = await open_with_message(tickets, js)
    await tickets.patch(closed["id"], {"status": "Closed"})
    path = f"/tickets/{source['id']}/merge"

    into_itself = await tickets.client.post(path, json={"into": source["id"]})
    into_closed = await tickets.client.post(path, json={"into": closed["id"]})
    into_missing = await tickets.client.post(path, json={"into": str(uuid.uuid4())})
    stale = await tickets.client.post(
        path, json={"into": closed["id"]}, headers={"If-Match": '"9"'}
    )

    for response in (into_itself, into_closed):
        assert response.status_code == 409, response.text
        assert response.json()["errors"][0]["field"] == "$.into"
    assert into_missing.status_code == 404
    assert into_missing.json()["errors"][0]["field"] == "$.into"
    assert stale.status_code == 412
    assert (await tickets.detail(source["id"]))["version"] == 1
