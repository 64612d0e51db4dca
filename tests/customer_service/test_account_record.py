"""Tiers, contacts, onboarding, time entries, ticket history and the account context."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import msgspec
from nats.aio.client import Client as NatsClient

from helpdesk_contracts import subjects
from helpdesk_contracts.enums import InteractionType, TicketPriority, TicketSource, TicketStatus
from helpdesk_contracts.messages import (
    AccountContextReply,
    AccountContextRequest,
    ErrorReply,
    InteractionAdded,
    Message,
    TicketCreated,
    TicketStatusChanged,
)
from tests.customer_service.conftest import request_reply, unique_domain
from tests.support.servers import wait_until


async def post_json(api: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(path, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def new_customer(api: httpx.AsyncClient, tier: str = "Premium") -> dict[str, Any]:
    body = {"name": f"Customer {uuid.uuid4().hex[:6]}", "tier": tier, "domains": []}
    return await post_json(api, "/customers", body)


async def new_contact(
    api: httpx.AsyncClient, customer_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    body = {"name": "Pat", "emails": [f"pat@{unique_domain('contact')}"], **fields}
    if customer_id is not None:
        body["customer_id"] = customer_id
    return await post_json(api, "/contacts", body)


async def publish_event(nats_client: NatsClient, subject: str, event: Message) -> None:
    js = nats_client.jetstream()
    await js.publish(subject, msgspec.json.encode(event), headers={"Nats-Msg-Id": str(event.id)})


def ticket_created(number: int, customer_id: str, contact_id: str) -> TicketCreated:
    return TicketCreated(
        ticket_id=uuid.uuid4(),
        number=number,
        version=1,
        subject=f"Printer on fire {number}",
        status=TicketStatus.OPEN,
        priority=TicketPriority.HIGH,
        source=TicketSource.EMAIL,
        created_at=datetime.now(UTC) - timedelta(days=2),
        customer_id=uuid.UUID(customer_id),
        primary_contact_id=uuid.UUID(contact_id),
    )


async def test_tiers_seeded_and_extendable(api: httpx.AsyncClient) -> None:
    seeded = {tier["name"] for tier in (await api.get("/tiers")).json()}
    assert {"Free", "Standard", "Premium", "Enterprise"} <= seeded

    name = f"Platinum-{uuid.uuid4().hex[:6]}"
    await post_json(api, "/tiers", {"name": name})
    customer = await new_customer(api, tier=name)

    assert customer["tier"] == name


async def test_unknown_tier_rejected(api: httpx.AsyncClient) -> None:
    created = await api.post("/customers", json={"name": "Gold Inc", "tier": "Gold"})
    customer = await new_customer(api)
    changed = await api.patch(f"/customers/{customer['id']}", json={"tier": "Gold"})

    for response in (created, changed):
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [error["field"] for error in response.json()["errors"]] == ["$.tier"]


async def test_customer_fields_round_trip(api: httpx.AsyncClient) -> None:
    body = {
        "name": "Globex",
        "tier": "Enterprise",
        "owner": "alice",
        "notes": "Pays late",
        "attributes": {"region": "EU", "seats": 40},
    }
    created = await post_json(api, "/customers", body)

    shown = (await api.get(f"/customers/{created['id']}")).json()

    assert shown["owner"] == "alice"
    assert shown["notes"] == "Pays late"
    assert shown["attributes"] == {"region": "EU", "seats": 40}
    assert shown["include_subdomains"] is False


async def test_contact_addresses_unique_ignoring_case(api: httpx.AsyncClient) -> None:
    domain = unique_domain("dup")
    contact = await new_contact(
        api, emails=[f"Kim@{domain}", f"kim.work@{domain}"], phones=["+1 555 0100"]
    )

    duplicate = await api.post("/contacts", json={"emails": [f"KIM@{domain.upper()}"]})

    assert contact["emails"] == [f"kim.work@{domain}", f"kim@{domain}"]
    assert contact["phones"] == ["+1 555 0100"]
    assert duplicate.status_code == 409


async def test_search_by_name_domain_and_address(api: httpx.AsyncClient) -> None:
    domain = unique_domain("search")
    marker = uuid.uuid4().hex[:8]
    customer = await post_json(
        api, "/customers", {"name": f"Initech {marker}", "domains": [domain]}
    )
    contact = await new_contact(api, name=f"Milton {marker}", emails=[f"red.stapler@{domain}"])

    by_name = (await api.get("/customers", params={"q": marker.upper()})).json()
    by_domain = (await api.get("/customers", params={"q": domain})).json()
    contacts_by_name = (await api.get("/contacts", params={"q": f"milton {marker}"})).json()
    contacts_by_address = (await api.get("/contacts", params={"q": f"STAPLER@{domain}"})).json()

    assert [c["id"] for c in by_name] == [customer["id"]]
    assert [c["id"] for c in by_domain] == [customer["id"]]
    assert [c["id"] for c in contacts_by_name] == [contact["id"]]
    assert [c["id"] for c in contacts_by_address] == [contact["id"]]


async def test_onboarding_progress(api: httpx.AsyncClient) -> None:
    customer = await new_customer(api)
    path = f"/customers/{customer['id']}/onboarding"
    steps = [
        await post_json(api, f"{path}/steps", {"title": title, "owner": "bob"})
        for title in ("Kick-off", "SSO", "Import", "Training")
    ]

    await api.patch(f"{path}/steps/{steps[0]['id']}", json={"status": "done"})
    await api.patch(f"{path}/steps/{steps[1]['id']}", json={"status": "skipped"})
    plan = (await api.get(path)).json()

    assert [step["title"] for step in plan["steps"]] == ["Kick-off", "SSO", "Import", "Training"]
    assert plan["progress"] == 0.25


async def test_onboarding_rejects_unknown_status(api: httpx.AsyncClient) -> None:
    customer = await new_customer(api)
    path = f"/customers/{customer['id']}/onboarding/steps"

    response = await api.post(path, json={"title": "Kick-off", "status": "started"})

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["$.status"]


async def test_time_entry_validation(api: httpx.AsyncClient) -> None:
    customer = await new_customer(api)
    entry = {"agent": "bob", "spent_on": "2026-11-02", "customer_id": customer["id"]}

    zero = await api.post("/time-entries", json={**entry, "minutes": 0})
    no_account = await api.post(
        "/time-entries", json={"minutes": 5, "agent": "bob", "spent_on": "2026-11-02"}
    )

    assert zero.status_code == 400
    assert [error["field"] for error in zero.json()["errors"]] == ["$.minutes"]
    assert no_account.status_code == 400


async def test_context_collects_account_record(
    api: httpx.AsyncClient, nats_client: NatsClient
) -> None:
    customer = await new_customer(api, tier="Enterprise")
    contact = await new_contact(api, customer["id"], sees_all_customer_tickets=True)
    colleague = await new_contact(api, customer["id"])
    step = await post_json(
        api, f"/customers/{customer['id']}/onboarding/steps", {"title": "Kick-off"}
    )
    await api.patch(
        f"/customers/{customer['id']}/onboarding/steps/{step['id']}", json={"status": "done"}
    )
    for day, (minutes, billable) in enumerate([(30, True), (45, False)] + [(5, True)] * 10):
        body = {
            "minutes": minutes,
            "agent": "bob",
            "spent_on": f"2026-10-{day + 1:02d}",
            "billable": billable,
            "contact_id": colleague["id"],
        }
        await post_json(api, "/time-entries", body)
    created = ticket_created(41001, customer["id"], colleague["id"])
    await publish_event(nats_client, subjects.TICKET_CREATED, created)
    changed = TicketStatusChanged(
        ticket_id=created.ticket_id,
        version=3,
        from_status=TicketStatus.OPEN,
        to_status=TicketStatus.RESOLVED,
        changed_at=datetime.now(UTC),
        actor="bob",
    )
    await publish_event(nats_client, subjects.TICKET_STATUS_CHANGED, changed)

    async def context_with_resolved_ticket() -> dict[str, Any] | None:
        body: dict[str, Any] = (
            await api.get("/context", params={"contact_id": contact["id"]})
        ).json()
        tickets = body["tickets"]
        return body if tickets and tickets[0]["status"] == "Resolved" else None

    context = await wait_until(context_with_resolved_ticket)

    assert context["contact"]["id"] == contact["id"]
    assert context["contact"]["sees_all_customer_tickets"] is True
    assert context["customer"]["id"] == customer["id"]
    assert context["tier"] == "Enterprise"
    assert context["onboarding"]["progress"] == 1.0
    assert len(context["recent_time_entries"]) == 10
    assert context["recent_time_entries"][0]["spent_on"] == "2026-10-12"
    assert context["time_totals"] == {"minutes": 125, "billable_minutes": 80}
    assert [t["number"] for t in context["tickets"]] == [41001]
    last_activity = datetime.fromisoformat(context["tickets"][0]["last_activity_at"])
    assert last_activity == changed.changed_at


async def test_context_over_nats(api: httpx.AsyncClient, nats_client: NatsClient) -> None:
    customer = await new_customer(api, tier="Free")
    await new_contact(api, customer["id"])
    request = AccountContextRequest(customer_id=uuid.UUID(customer["id"]))

    reply = await request_reply(
        nats_client, subjects.CUSTOMER_ACCOUNT_CONTEXT, request, AccountContextReply
    )

    assert reply.customer is not None
    assert reply.customer.id == uuid.UUID(customer["id"])
    assert reply.contact is None
    assert reply.tier == "Free"
    assert reply.onboarding is not None
    assert reply.onboarding.progress == 0.0


async def test_context_of_unknown_contact(api: httpx.AsyncClient, nats_client: NatsClient) -> None:
    missing = uuid.uuid4()

    response = await api.get("/context", params={"contact_id": str(missing)})
    reply = await request_reply(
        nats_client,
        subjects.CUSTOMER_ACCOUNT_CONTEXT,
        AccountContextRequest(contact_id=missing),
        ErrorReply,
    )
    neither = await api.get("/context")

    assert response.status_code == 404
    assert str(missing) in reply.error
    assert neither.status_code == 400


async def test_ticket_summary_ignores_stale_events(
    api: httpx.AsyncClient, nats_client: NatsClient, database_url: str
) -> None:
    contact = await new_contact(api)
    created = msgspec.structs.replace(
        ticket_created(41002, str(uuid.uuid4()), contact["id"]), customer_id=None
    )
    newer = TicketStatusChanged(
        ticket_id=created.ticket_id,
        version=4,
        from_status=TicketStatus.OPEN,
        to_status=TicketStatus.PENDING,
        changed_at=datetime.now(UTC),
        actor="bob",
    )
    stale = InteractionAdded(
        ticket_id=created.ticket_id,
        interaction_id=uuid.uuid4(),
        version=2,
        type=InteractionType.EMAIL_INBOUND,
        customer_visible=True,
        created_at=datetime.now(UTC) + timedelta(hours=1),
        author="pat",
    )
    await publish_event(nats_client, subjects.TICKET_CREATED, created)
    await publish_event(nats_client, subjects.TICKET_STATUS_CHANGED, newer)

    async def pending_tickets() -> list[dict[str, Any]] | None:
        body = (await api.get("/context", params={"contact_id": contact["id"]})).json()
        tickets: list[dict[str, Any]] = body["tickets"]
        return tickets if tickets and tickets[0]["status"] == "Pending" else None

    await wait_until(pending_tickets)
    await publish_event(nats_client, subjects.TICKET_INTERACTION_ADDED, stale)
    await wait_until(lambda: message_processed(database_url, stale.id))
    tickets = await pending_tickets()

    assert tickets is not None
    assert datetime.fromisoformat(tickets[0]["last_activity_at"]) == newer.changed_at


async def message_processed(database_url: str, message_id: uuid.UUID) -> bool:
    connection = await asyncpg.connect(database_url)
    try:
        found = await connection.fetchval(
            "SELECT count(*) FROM customers.processed_messages WHERE message_id = $1",
            str(message_id),
        )
    finally:
        await connection.close()
    return bool(found)


async def test_time_entry_update_and_delete(api: httpx.AsyncClient) -> None:
    customer = await new_customer(api)
    body = {"minutes": 20, "agent": "bob", "spent_on": "2026-11-03", "customer_id": customer["id"]}
    entry = await post_json(api, "/time-entries", body)

    changed = await api.patch(
        f"/time-entries/{entry['id']}", json={"minutes": 35, "billable": True}
    )
    deleted = await api.delete(f"/time-entries/{entry['id']}")
    after = await api.get(f"/time-entries/{entry['id']}")

    assert changed.status_code == 200
    assert (changed.json()["minutes"], changed.json()["billable"]) == (35, True)
    assert deleted.status_code == 204
    assert after.status_code == 404


async def test_onboarding_step_delete(api: httpx.AsyncClient) -> None:
    customer = await new_customer(api)
    path = f"/customers/{customer['id']}/onboarding"
    first = await post_json(api, f"{path}/steps", {"title": "Kick-off", "due_date": "2026-12-10"})
    await post_json(api, f"{path}/steps", {"title": "Go live", "status": "done"})

    deleted = await api.delete(f"{path}/steps/{first['id']}")
    plan = (await api.get(path)).json()

    assert deleted.status_code == 204
    assert [step["title"] for step in plan["steps"]] == ["Go live"]
    assert plan["progress"] == 1.0
