"""The contact scope over real NATS request/reply: customer, addresses and visibility flag."""

import uuid

import httpx
from nats.aio.client import Client as NatsClient

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import ContactScopeReply, ContactScopeRequest
from tests.customer_service.conftest import request_reply, unique_domain


async def scope_of(nats_client: NatsClient, contact_id: uuid.UUID) -> ContactScopeReply:
    request = ContactScopeRequest(contact_id=contact_id)
    return await request_reply(
        nats_client, subjects.CUSTOMER_CONTACT_SCOPE, request, ContactScopeReply
    )


async def create_contact(api: httpx.AsyncClient, body: dict[str, object]) -> uuid.UUID:
    response = await api.post("/contacts", json=body)
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


async def test_scope_of_customer_contact(api: httpx.AsyncClient, nats_client: NatsClient) -> None:
    domain = unique_domain("scope")
    created = await api.post(
        "/customers", json={"name": "Scope Co", "tier": "Premium", "domains": [domain]}
    )
    assert created.status_code == 201, created.text
    customer_id = uuid.UUID(created.json()["id"])
    contact_id = await create_contact(
        api,
        {
            "name": "Mia Lead",
            "emails": [f"mia@{domain}", f"lead@{domain}"],
            "customer_id": str(customer_id),
            "sees_all_customer_tickets": True,
        },
    )

    reply = await scope_of(nats_client, contact_id)

    assert reply.found
    assert reply.contact_id == contact_id
    assert reply.name == "Mia Lead"
    assert reply.emails == (f"lead@{domain}", f"mia@{domain}")
    assert reply.customer_id == customer_id
    assert reply.customer_name == "Scope Co"
    assert reply.customer_tier == "Premium"
    assert reply.sees_all_customer_tickets


async def test_scope_of_contact_without_customer(
    api: httpx.AsyncClient, nats_client: NatsClient
) -> None:
    address = f"solo-{uuid.uuid4().hex[:6]}@{unique_domain('solo')}"
    contact_id = await create_contact(api, {"name": "Solo", "emails": [address]})

    reply = await scope_of(nats_client, contact_id)

    assert reply.found
    assert reply.customer_id is None
    assert reply.customer_name is None
    assert not reply.sees_all_customer_tickets
    assert reply.emails == (address,)


async def test_scope_of_unknown_contact(api: httpx.AsyncClient, nats_client: NatsClient) -> None:
    reply = await scope_of(nats_client, uuid.uuid4())

    assert not reply.found
    assert reply.customer_id is None
    assert reply.emails == ()


async def test_scope_of_merged_contact(api: httpx.AsyncClient, nats_client: NatsClient) -> None:
    domain = unique_domain("merge")
    source_id = await create_contact(api, {"name": "Dup", "emails": [f"dup@{domain}"]})
    target_id = await create_contact(api, {"name": "Kept", "emails": [f"kept@{domain}"]})
    merged = await api.post(f"/contacts/{source_id}/merge", json={"into": str(target_id)})
    assert merged.status_code == 201, merged.text

    source = await scope_of(nats_client, source_id)
    target = await scope_of(nats_client, target_id)

    assert not source.found
    assert target.found
    assert target.emails == (f"dup@{domain}", f"kept@{domain}")
