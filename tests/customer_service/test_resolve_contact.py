"""Resolving senders to contacts over real NATS request/reply and PostgreSQL."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import msgspec
import nats
import pytest

from customer_service.app import create_app
from customer_service.settings import CustomerSettings
from helpdesk_contracts import subjects
from helpdesk_contracts.enums import ContactMatch
from helpdesk_contracts.messages import ResolveContactReply, ResolveContactRequest
from helpdesk_runtime.settings import load_settings
from tests.support.servers import serving


@pytest.fixture(scope="module")
async def customer_api(nats_url: str, database_url: str) -> AsyncIterator[str]:
    settings = load_settings(
        CustomerSettings,
        environ={},
        nats_url=nats_url,
        database_url=database_url,
        support_domains="support.example.net",
    )
    async with serving(create_app(settings)) as base_url:
        yield base_url


async def resolve(nats_url: str, address: str, name: str = "") -> ResolveContactReply:
    connection = await nats.connect(nats_url)
    try:
        request = ResolveContactRequest(address=address, display_name=name)
        response = await connection.request(
            subjects.CUSTOMER_RESOLVE_CONTACT, msgspec.json.encode(request), timeout=5
        )
    finally:
        await connection.close()
    return msgspec.json.decode(response.data, type=ResolveContactReply)


async def create_customer(base_url: str, name: str, tier: str, domains: list[str]) -> uuid.UUID:
    async with httpx.AsyncClient(base_url=base_url) as client:
        body = {"name": name, "tier": tier, "domains": domains}
        response = await client.post("/customers", json=body)
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


async def test_unknown_sender_becomes_new_contact(customer_api: str, nats_url: str) -> None:
    reply = await resolve(nats_url, f"someone-{uuid.uuid4().hex[:6]}@unknown-company.test")

    assert reply.match is ContactMatch.NEW
    assert reply.customer_id is None


async def test_known_address_matches_case_insensitively(customer_api: str, nats_url: str) -> None:
    local = f"Mixed.Case-{uuid.uuid4().hex[:6]}"
    first = await resolve(nats_url, f"{local}@Example-Corp.test")

    second = await resolve(nats_url, f"{local.lower()}@example-corp.TEST")

    assert second.match is ContactMatch.ADDRESS
    assert second.contact_id == first.contact_id


async def test_domain_links_sender_to_customer(customer_api: str, nats_url: str) -> None:
    domain = f"acme-{uuid.uuid4().hex[:6]}.test"
    customer_id = await create_customer(customer_api, "Acme", "Enterprise", [domain])

    reply = await resolve(nats_url, f"jane@{domain}", "Jane Doe")

    assert reply.match is ContactMatch.DOMAIN
    assert reply.customer_id == customer_id
    assert reply.customer_tier == "Enterprise"
    assert reply.customer_name == "Acme"


async def test_free_mail_domain_never_links(customer_api: str, nats_url: str) -> None:
    await create_customer(customer_api, "Gmail Squatter", "Premium", ["gmail.com"])

    reply = await resolve(nats_url, f"user{uuid.uuid4().hex[:6]}@gmail.com")

    assert reply.match is ContactMatch.NEW
    assert reply.customer_id is None


async def test_support_domain_never_links(customer_api: str, nats_url: str) -> None:
    await create_customer(customer_api, "Ourselves", "Standard", ["support.example.net"])

    reply = await resolve(nats_url, "agent@support.example.net")

    assert reply.customer_id is None


async def test_concurrent_first_mails_make_one_contact(customer_api: str, nats_url: str) -> None:
    address = f"racer-{uuid.uuid4().hex[:6]}@race.test"

    replies = await asyncio.gather(*(resolve(nats_url, address) for _ in range(8)))

    assert len({reply.contact_id for reply in replies}) == 1
    async with httpx.AsyncClient(base_url=customer_api) as client:
        found = (await client.get("/contacts", params={"email": address.upper()})).json()
    assert len(found) == 1


async def test_invalid_customer_names_field(customer_api: str) -> None:
    async with httpx.AsyncClient(base_url=customer_api) as client:
        response = await client.post("/customers", json={"name": "", "tier": "Gold"})

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = [error["field"] for error in response.json()["errors"]]
    assert any("name" in field for field in fields)
