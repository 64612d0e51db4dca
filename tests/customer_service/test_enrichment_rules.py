"""Plus-addressing, subdomains and free-mail rules of sender enrichment."""

import uuid

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from customer_service.domains import load_free_mail_domains
from customer_service.enrichment import DomainPolicy, resolve_contact
from helpdesk_contracts import subjects
from helpdesk_contracts.enums import ContactMatch
from helpdesk_contracts.messages import ResolveContactReply, ResolveContactRequest
from helpdesk_runtime.database import create_engine, create_session_factory, unit_of_work
from tests.customer_service.conftest import request_reply, unique_domain


async def resolve(nats_client: NatsClient, address: str) -> ResolveContactReply:
    request = ResolveContactRequest(address=address)
    return await request_reply(
        nats_client, subjects.CUSTOMER_RESOLVE_CONTACT, request, ResolveContactReply
    )


async def create_customer(
    api: httpx.AsyncClient, domain: str, include_subdomains: bool = False
) -> uuid.UUID:
    body = {"name": "Acme", "domains": [domain], "include_subdomains": include_subdomains}
    response = await api.post("/customers", json=body)
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


async def test_plus_tag_matches_base_contact(
    api: httpx.AsyncClient, nats_client: NatsClient
) -> None:
    domain = unique_domain("plus")
    base = await resolve(nats_client, f"jane@{domain}")

    tagged = await resolve(nats_client, f"Jane+Billing@{domain.upper()}")

    assert tagged.contact_id == base.contact_id
    assert tagged.match is ContactMatch.ADDRESS
    assert tagged.match_rule == "plus_address"


async def test_plus_tag_without_base_is_new(
    api: httpx.AsyncClient, nats_client: NatsClient
) -> None:
    reply = await resolve(nats_client, f"nobody+tag@{unique_domain('plus')}")

    assert reply.match is ContactMatch.NEW
    assert reply.match_rule is None


async def test_plus_addressing_off_makes_new_contact(
    api: httpx.AsyncClient, nats_client: NatsClient, database_url: str
) -> None:
    domain = unique_domain("plusoff")
    base = await resolve(nats_client, f"jane@{domain}")
    policy = DomainPolicy(
        free_mail=load_free_mail_domains(), support=frozenset(), plus_addressing=False
    )
    engine = create_engine(database_url, pool_size=1)

    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            tagged = await resolve_contact(session, f"jane+news@{domain}", "", policy)
    finally:
        await engine.dispose()

    assert tagged.contact_id != base.contact_id
    assert tagged.match is ContactMatch.NEW


async def test_subdomain_matches_with_opt_in(
    api: httpx.AsyncClient, nats_client: NatsClient
) -> None:
    domain = unique_domain("parent")
    customer_id = await create_customer(api, domain, include_subdomains=True)

    reply = await resolve(nats_client, f"max@eu.west.{domain}")

    assert reply.match is ContactMatch.DOMAIN
    assert reply.customer_id == customer_id
    assert reply.match_rule == "subdomain"


async def test_subdomain_ignored_without_opt_in(
    api: httpx.AsyncClient, nats_client: NatsClient
) -> None:
    domain = unique_domain("parent")
    await create_customer(api, domain, include_subdomains=False)

    reply = await resolve(nats_client, f"max@eu.{domain}")

    assert reply.match is ContactMatch.NEW
    assert reply.customer_id is None


async def test_nearer_parent_owner_wins(api: httpx.AsyncClient, nats_client: NatsClient) -> None:
    domain = unique_domain("nested")
    await create_customer(api, domain, include_subdomains=True)
    regional_id = await create_customer(api, f"eu.{domain}", include_subdomains=True)

    reply = await resolve(nats_client, f"max@sales.eu.{domain}")

    assert reply.customer_id == regional_id


@pytest.mark.parametrize("domain", ["gmail.com", "mail.gmail.com"])
async def test_free_mail_never_links(
    api: httpx.AsyncClient, nats_client: NatsClient, domain: str
) -> None:
    reply = await resolve(nats_client, f"user-{uuid.uuid4().hex[:8]}@{domain}")

    assert reply.customer_id is None
    assert reply.match is ContactMatch.NEW


async def test_mixed_case_address_matches(api: httpx.AsyncClient, nats_client: NatsClient) -> None:
    domain = unique_domain("case")
    response = await api.post("/contacts", json={"name": "Ann", "emails": [f"Ann.Lee@{domain}"]})
    assert response.status_code == 201, response.text

    reply = await resolve(nats_client, f"ANN.LEE@{domain.upper()}")

    assert reply.contact_id == uuid.UUID(response.json()["id"])
    assert reply.match is ContactMatch.ADDRESS
