"""Demo customers created through customer_service's HTTP API, once.

Seeding is idempotent: a customer whose name already exists is skipped, and so is one
whose domain already belongs to another customer (the API returns 409).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx


class SeedError(Exception):
    """Raised when the API rejects a demo customer for a reason other than a duplicate."""


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    tier: str
    domains: tuple[str, ...]


DEMO_CUSTOMERS = (
    DemoCustomer("Acme Corp", "Enterprise", ("acme.example",)),
    DemoCustomer("Globex", "Premium", ("globex.example",)),
    DemoCustomer("Initech", "Standard", ("initech.example",)),
)

# The API's maximum page size; more customers than this only means a name may be retried.
_LIST_LIMIT = 500


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


async def seed_customers(
    customers_url: str, customers: Sequence[DemoCustomer] = DEMO_CUSTOMERS
) -> SeedReport:
    """Create each customer in `customers` that does not exist yet at `customers_url`."""
    report = SeedReport()
    async with httpx.AsyncClient(base_url=customers_url, timeout=10.0) as client:
        existing = await _existing_names(client, customers_url)

        for customer in customers:
            if customer.name in existing:
                report.skipped.append(customer.name)
                continue
            body = {"name": customer.name, "tier": customer.tier, "domains": list(customer.domains)}
            response = await client.post("/customers", json=body)
            if response.status_code == 409:
                report.skipped.append(customer.name)
            elif response.status_code == 201:
                report.created.append(customer.name)
            else:
                raise SeedError(
                    f"POST {customers_url}/customers for {customer.name!r} returned "
                    f"HTTP {response.status_code}: {response.text[:500]}"
                )
    return report


async def _existing_names(client: httpx.AsyncClient, customers_url: str) -> set[str]:
    response = await client.get("/customers", params={"limit": _LIST_LIMIT})
    if response.status_code != 200:
        raise SeedError(
            f"GET {customers_url}/customers returned HTTP {response.status_code}: "
            f"{response.text[:500]}"
        )
    return {str(item["name"]) for item in response.json()}
