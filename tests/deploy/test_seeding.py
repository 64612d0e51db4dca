"""Demo customers: created once through customer_service's real API, then skipped."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar, Response, get, post

from customer_service.app import create_app
from customer_service.settings import CustomerSettings
from deploy.local_runner.seeding import DEMO_CUSTOMERS, DemoCustomer, SeedError, seed_customers
from helpdesk_runtime.settings import load_settings
from tests.support.servers import serving


@pytest.fixture(scope="module")
async def customers_url(nats_url: str, database_url: str) -> AsyncIterator[str]:
    settings = load_settings(
        CustomerSettings, environ={}, nats_url=nats_url, database_url=database_url
    )
    async with serving(create_app(settings)) as base_url:
        yield base_url


def unique_customers() -> list[DemoCustomer]:
    # The session database is shared with other suites, so names and domains are unique.
    suffix = uuid.uuid4().hex[:8]
    return [
        DemoCustomer(f"{demo.name} {suffix}", demo.tier, (f"{suffix}.{demo.domains[0]}",))
        for demo in DEMO_CUSTOMERS
    ]


async def customers_named(customers_url: str, name: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=customers_url) as client:
        response = await client.get("/customers", params={"limit": 500})
    assert response.status_code == 200, response.text
    return [item for item in response.json() if item["name"] == name]


async def test_seeding_twice_creates_once(customers_url: str) -> None:
    customers = unique_customers()

    first = await seed_customers(customers_url, customers)
    second = await seed_customers(customers_url, customers)

    names = [customer.name for customer in customers]
    assert first.created == names
    assert first.skipped == []
    assert second.created == []
    assert second.skipped == names
    for customer in customers:
        stored = await customers_named(customers_url, customer.name)
        assert len(stored) == 1
        assert stored[0]["tier"] == customer.tier
        assert stored[0]["domains"] == list(customer.domains)


async def test_taken_domain_is_skipped(customers_url: str) -> None:
    [original, *_] = unique_customers()
    await seed_customers(customers_url, [original])
    renamed = DemoCustomer(f"{original.name} renamed", original.tier, original.domains)

    report = await seed_customers(customers_url, [renamed])

    assert report.skipped == [renamed.name]
    assert await customers_named(customers_url, renamed.name) == []


def failing_customer_api() -> Litestar:
    @get("/customers", sync_to_thread=False)
    def list_customers() -> list[dict[str, str]]:
        return []

    @post("/customers", sync_to_thread=False)
    def create_customer() -> Response[dict[str, str]]:
        return Response({"title": "Database unavailable"}, status_code=500)

    return Litestar(route_handlers=[list_customers, create_customer])


async def test_server_error_raises_with_details() -> None:
    async with serving(failing_customer_api()) as base_url:
        with pytest.raises(SeedError) as raised:
            await seed_customers(base_url, unique_customers())

    assert "HTTP 500" in str(raised.value)
    assert "Database unavailable" in str(raised.value)
