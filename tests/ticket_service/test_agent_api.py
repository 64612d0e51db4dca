"""The agent API: replies by email, notes, status changes, preconditions and listing."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import (
    OutboundEmailRequested,
    SlaTargetsSet,
    TicketFirstResponded,
    TicketStatusChanged,
)
from tests.support.servers import wait_until
from tests.ticket_service.helpers import (
    MAIL_DOMAIN,
    SUPPORT_ADDRESS,
    TEST_ADMIN,
    Collector,
    TicketsApi,
    collect,
    inbound_mail,
    publish,
    publish_mail,
    unique,
)


async def open_ticket(
    tickets: TicketsApi, js: JetStreamContext, subject: str = "", sender: str = ""
) -> tuple[dict[str, Any], str]:
    message = inbound_mail(
        subject or unique("Cannot log in"),
        sender or f"{uuid.uuid4().hex[:8]}@customer.test",
        name="Jane Roe",
    )
    await publish_mail(js, message)
    return await tickets.wait_for_subject(message.subject), message.message_id


async def sent_for(collector: Collector, ticket_id: str, count: int) -> list[Any]:
    async def arrived() -> list[Any] | None:
        found = collector.matching(ticket_id=uuid.UUID(ticket_id))
        return found if len(found) >= count else None

    found: list[Any] = await wait_until(arrived)
    return found


async def test_reply_sends_threaded_email(
    tickets: TicketsApi, js: JetStreamContext, nats_connection: NatsClient
) -> None:
    outbound = await collect(
        nats_connection, subjects.MAIL_OUTBOUND_REQUESTED, OutboundEmailRequested
    )
    first_responses = await collect(
        nats_connection, subjects.TICKET_FIRST_RESPONDED, TicketFirstResponded
    )
    ticket, first_id = await open_ticket(tickets, js)

    response = await tickets.reply(ticket["id"], "Have you tried turning it off and on?")
    assert response.status_code == 201, response.text
    interaction = response.json()
    [sent] = await sent_for(outbound, ticket["id"], 1)

    assert interaction["type"] == "EMAIL_OUTBOUND"
    assert interaction["customer_visible"] is True
    assert interaction["author"] == TEST_ADMIN
    assert interaction["message_id"] == f"ticket.{ticket['id']}.{interaction['id']}@{MAIL_DOMAIN}"
    assert response.headers["etag"] == '"2"'
    assert sent.message_id == interaction["message_id"]
    assert sent.interaction_id == uuid.UUID(interaction["id"])
    assert sent.in_reply_to == first_id
    assert sent.references == (first_id,)
    assert sent.subject == f"Re: {ticket['subject']} [#{ticket['number']}]"
    assert [(to.address, to.name) for to in sent.to] == [(ticket["source_email"], "Jane Roe")]
    assert sent.sender.address == SUPPORT_ADDRESS
    assert sent.text_body == "Have you tried turning it off and on?"
    responded = await tickets.detail(ticket["id"])
    assert responded["first_response_at"] is not None

    async def first_response_announced() -> list[Any]:
        return first_responses.matching(ticket_id=uuid.UUID(ticket["id"]))

    await wait_until(first_response_announced)

    # The customer replies to the agent's email: the indexed outbound id threads it.
    answer = inbound_mail(
        f"Re: {sent.subject}",
        ticket["source_email"],
        in_reply_to=(sent.message_id,),
        references=(first_id, sent.message_id),
    )
    await publish_mail(js, answer)
    await tickets.wait_for_interactions(ticket["id"], 3)

    second = await tickets.reply(ticket["id"], "Then please send a screenshot.")
    assert second.status_code == 201, second.text
    _, resent = await sent_for(outbound, ticket["id"], 2)
    final = await tickets.detail(ticket["id"])

    assert resent.in_reply_to == answer.message_id
    assert resent.references == (first_id, sent.message_id, answer.message_id)
    assert resent.subject == sent.subject
    assert final["first_response_at"] == responded["first_response_at"]
    assert [i["type"] for i in final["interactions"]] == [
        "EMAIL_INBOUND",
        "EMAIL_OUTBOUND",
        "EMAIL_INBOUND",
        "EMAIL_OUTBOUND",
    ]
    assert len(first_responses.matching(ticket_id=uuid.UUID(ticket["id"]))) == 1


async def test_reply_subject_keeps_single_prefix(
    tickets: TicketsApi, js: JetStreamContext, nats_connection: NatsClient
) -> None:
    outbound = await collect(
        nats_connection, subjects.MAIL_OUTBOUND_REQUESTED, OutboundEmailRequested
    )
    ticket, _ = await open_ticket(tickets, js, subject=unique("RE: Re: invoice"))

    response = await tickets.reply(ticket["id"], "Attached.")
    assert response.status_code == 201, response.text
    [sent] = await sent_for(outbound, ticket["id"], 1)

    base = ticket["subject"].removeprefix("RE: Re: ")
    assert sent.subject == f"Re: {base} [#{ticket['number']}]"


async def test_patch_resolved_stamps_resolved_at(
    tickets: TicketsApi, js: JetStreamContext, nats_connection: NatsClient
) -> None:
    changes = await collect(nats_connection, subjects.TICKET_STATUS_CHANGED, TicketStatusChanged)
    ticket, _ = await open_ticket(tickets, js)

    resolved = await tickets.patch(ticket["id"], {"status": "Resolved", "actor": "alice"})
    reopened = await tickets.patch(ticket["id"], {"status": "In Progress", "priority": "High"})

    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "Resolved"
    assert resolved.json()["resolved_at"] is not None
    assert resolved.headers["etag"] == '"2"'
    assert reopened.json()["resolved_at"] is None
    assert reopened.json()["priority"] == "High"
    assert reopened.json()["version"] == 3
    events = await sent_for(changes, ticket["id"], 2)
    transitions = [(e.from_status.value, e.to_status.value, e.actor) for e in events]
    # The body's actor is ignored: the agent of the API key is recorded.
    assert transitions == [
        ("Open", "Resolved", TEST_ADMIN),
        ("Resolved", "In Progress", TEST_ADMIN),
    ]


async def test_patch_same_status_changes_nothing(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket, _ = await open_ticket(tickets, js)

    response = await tickets.patch(ticket["id"], {"status": "Open"})

    assert response.status_code == 200
    assert response.json()["version"] == 1


async def test_patch_invalid_status_names_field(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket, _ = await open_ticket(tickets, js)

    response = await tickets.patch(ticket["id"], {"status": "Sleeping"})

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = [error["field"] for error in response.json()["errors"]]
    assert any("status" in field for field in fields)


async def test_patch_invalid_priority_names_field(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket, _ = await open_ticket(tickets, js)

    response = await tickets.patch(ticket["id"], {"priority": "Whenever"})

    assert response.status_code == 400
    fields = [error["field"] for error in response.json()["errors"]]
    assert any("priority" in field for field in fields)


async def test_closed_ticket_is_final(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket, _ = await open_ticket(tickets, js)
    await tickets.patch(ticket["id"], {"status": "Closed"})

    reopen = await tickets.patch(ticket["id"], {"status": "Open"})
    reply = await tickets.reply(ticket["id"], "Anything else?")

    assert reopen.status_code == 409
    assert reopen.json()["errors"][0]["field"] == "$.status"
    assert reply.status_code == 409
    assert reply.headers["content-type"].startswith("application/problem+json")


async def test_if_match_mismatch_returns_412(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket, _ = await open_ticket(tickets, js)

    stale_patch = await tickets.patch(ticket["id"], {"priority": "Low"}, **{"If-Match": '"7"'})
    stale_reply = await tickets.reply(ticket["id"], "Hello", **{"If-Match": '"7"'})
    current = await tickets.patch(ticket["id"], {"priority": "Low"}, **{"If-Match": '"1"'})

    assert stale_patch.status_code == 412
    assert stale_patch.headers["content-type"].startswith("application/problem+json")
    assert stale_patch.headers["etag"] == '"1"'
    assert stale_reply.status_code == 412
    assert current.status_code == 200, current.text
    assert current.json()["priority"] == "Low"
    assert current.headers["etag"] == '"2"'


async def test_weak_etag_never_matches(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket, _ = await open_ticket(tickets, js)

    response = await tickets.patch(ticket["id"], {"priority": "Low"}, **{"If-Match": 'W/"1"'})

    assert response.status_code == 412


async def test_missing_ticket_returns_404(tickets: TicketsApi) -> None:
    missing = uuid.uuid4()

    by_id = await tickets.client.get(f"/tickets/{missing}")
    by_number = await tickets.client.get("/tickets/by-number/999999999")
    patched = await tickets.patch(str(missing), {"status": "Open"})
    replied = await tickets.reply(str(missing), "Hello")

    for response in (by_id, by_number, patched, replied):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_note_adds_internal_interaction(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket, _ = await open_ticket(tickets, js)

    response = await tickets.client.post(
        f"/tickets/{ticket['id']}/notes",
        json={"text": "Customer called, angry.", "author": "bob", "type": "PHONE_CALL"},
    )
    detail = await tickets.detail(ticket["id"])

    assert response.status_code == 201, response.text
    assert response.json()["type"] == "PHONE_CALL"
    assert response.json()["customer_visible"] is False
    assert response.json()["message_id"] is None
    assert [i["type"] for i in detail["interactions"]] == ["EMAIL_INBOUND", "PHONE_CALL"]
    assert detail["first_response_at"] is None
    assert detail["version"] == 2


async def test_note_rejects_email_type(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket, _ = await open_ticket(tickets, js)

    response = await tickets.client.post(
        f"/tickets/{ticket['id']}/notes",
        json={"text": "sneaky", "author": "bob", "type": "EMAIL_OUTBOUND"},
    )

    assert response.status_code == 400
    fields = [error["field"] for error in response.json()["errors"]]
    assert any("type" in field for field in fields)


async def test_reply_rejects_blank_text(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket, _ = await open_ticket(tickets, js)

    response = await tickets.client.post(
        f"/tickets/{ticket['id']}/replies", json={"text": "   ", "author": "bob"}
    )

    assert response.status_code == 400
    fields = [error["field"] for error in response.json()["errors"]]
    assert any("text" in field for field in fields)


async def test_list_filters_and_pages(
    tickets: TicketsApi, js: JetStreamContext, customer_api: httpx.AsyncClient
) -> None:
    domain = f"pager-{uuid.uuid4().hex[:8]}.test"
    created = await customer_api.post(
        "/customers", json={"name": "Pager Inc", "tier": "Standard", "domains": [domain]}
    )
    customer_id = created.json()["id"]
    opened = [(await open_ticket(tickets, js, sender=f"u{n}@{domain}"))[0] for n in range(3)]
    await tickets.patch(opened[0]["id"], {"status": "Pending"})

    first = await tickets.list(customer_id=customer_id, limit=2)
    second = await tickets.list(customer_id=customer_id, limit=2, cursor=first["next_cursor"])
    pending = await tickets.list(customer_id=customer_id, status="Pending")
    either = await tickets.list(customer_id=customer_id, status=["Pending", "Open"])

    newest_first = [ticket["id"] for ticket in reversed(opened)]
    assert [t["id"] for t in first["items"]] == newest_first[:2]
    assert [t["id"] for t in second["items"]] == newest_first[2:]
    assert second["next_cursor"] is None
    assert [t["id"] for t in pending["items"]] == [opened[0]["id"]]
    assert len(either["items"]) == 3


async def test_list_rejects_invalid_parameters(tickets: TicketsApi) -> None:
    cursor = await tickets.client.get("/tickets", params={"cursor": "not-a-cursor"})
    status = await tickets.client.get("/tickets", params={"status": "Sleeping"})
    limit = await tickets.client.get("/tickets", params={"limit": 0})

    assert cursor.status_code == 400
    assert cursor.json()["errors"][0]["field"] == "$.cursor"
    assert status.status_code == 400
    assert [error["field"] for error in status.json()["errors"]] == ["$.status"]
    assert limit.status_code == 400
    assert [error["field"] for error in limit.json()["errors"]] == ["$.limit"]


async def test_sla_targets_set_due_dates(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket, _ = await open_ticket(tickets, js)
    first_response_due = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=4)
    resolution_due = first_response_due + timedelta(days=2)
    targets = SlaTargetsSet(
        ticket_id=uuid.UUID(ticket["id"]),
        ticket_version=2,
        policy_name="Standard / Medium",
        first_response_due=first_response_due,
        resolution_due=resolution_due,
    )
    # Computed for an older ticket version, published after the newer one: ignored.
    stale = SlaTargetsSet(
        ticket_id=uuid.UUID(ticket["id"]),
        ticket_version=1,
        policy_name="Standard / Medium",
        first_response_due=None,
        resolution_due=None,
    )

    await publish(js, subjects.SLA_TARGETS_SET, targets)

    async def due_set() -> dict[str, Any] | None:
        detail = await tickets.detail(ticket["id"])
        return detail if detail["due_date"] is not None else None

    updated = await wait_until(due_set)
    # Published only now, because one pull batch is handled concurrently: sent together,
    # the older event could be applied first and would then not be stale.
    await publish(js, subjects.SLA_TARGETS_SET, stale)
    # A later message on the same consumer shows that the stale one was handled too.
    sentinel = SlaTargetsSet(
        ticket_id=uuid.UUID(ticket["id"]),
        ticket_version=3,
        policy_name="Standard / Medium",
        first_response_due=first_response_due,
        resolution_due=resolution_due + timedelta(days=1),
    )
    await publish(js, subjects.SLA_TARGETS_SET, sentinel)

    async def sentinel_applied() -> dict[str, Any] | None:
        detail = await tickets.detail(ticket["id"])
        later = resolution_due + timedelta(days=1)
        applied = detail["due_date"] and datetime.fromisoformat(detail["due_date"]) == later
        return detail if applied else None

    final = await wait_until(sentinel_applied)

    assert datetime.fromisoformat(updated["due_date"]) == resolution_due
    assert datetime.fromisoformat(updated["first_response_due"]) == first_response_due
    assert updated["version"] == 2
    assert datetime.fromisoformat(final["due_date"]) == resolution_due + timedelta(days=1)
    assert final["version"] == 3
    due_changes = [e for e in final["audit"] if e["field"] == "due_date"]
    assert [e["actor"] for e in due_changes] == ["sla_service", "sla_service"]
    assert due_changes[0]["old_value"] is None
    later_due = resolution_due + timedelta(days=1)
    assert datetime.fromisoformat(due_changes[1]["new_value"]) == later_due


async def test_openapi_docs_served(tickets: TicketsApi) -> None:
    schema = await tickets.client.get("/schema/openapi.json")
    swagger = await tickets.client.get("/schema/swagger")

    assert schema.status_code == 200
    assert "/tickets/{ticket_id}/replies" in schema.json()["paths"]
    assert swagger.status_code == 200
