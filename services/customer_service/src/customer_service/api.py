"""HTTP API for agents: customers with their domains and tiers, and contacts."""

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.di import Provide
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customer_service.domains import normalize_address
from customer_service.models import Contact, ContactEmail, Customer, CustomerDomain
from helpdesk_runtime.database import Sessions, unit_of_work
from helpdesk_runtime.problems import ProblemError


class CustomerCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new customer account."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    tier: Annotated[str, msgspec.Meta(min_length=1, max_length=50)] = "Standard"
    domains: list[Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")]] = []


class CustomerOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    tier: str
    domains: list[str]


class ContactOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    customer_id: uuid.UUID | None
    emails: list[str]


def _customer_out(customer: Customer) -> CustomerOut:
    return CustomerOut(
        id=customer.id,
        name=customer.name,
        tier=customer.tier,
        domains=sorted(d.domain for d in customer.domains),
    )


def _contact_out(contact: Contact) -> ContactOut:
    return ContactOut(
        id=contact.id,
        name=contact.name,
        customer_id=contact.customer_id,
        emails=sorted(e.address for e in contact.emails),
    )


class CustomerController(Controller):
    path = "/customers"
    tags = ["customers"]

    @post("/")
    async def create_customer(
        self, data: JSONBody[CustomerCreate], sessions: Sessions
    ) -> CustomerOut:
        """Create a customer; each domain may belong to one customer only."""
        domains = sorted({d.lower() for d in data.domains})
        try:
            async with unit_of_work(sessions) as session:
                customer = Customer(id=uuid.uuid4(), name=data.name, tier=data.tier)
                customer.domains = [CustomerDomain(domain=d) for d in domains]
                session.add(customer)
                await session.flush()
                return _customer_out(customer)
        except IntegrityError as exc:
            raise ProblemError(
                409,
                "Domain already assigned",
                f"One of the domains {domains} already belongs to another customer.",
                field="$.domains",
            ) from exc

    @get("/")
    async def list_customers(
        self,
        sessions: Sessions,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> list[CustomerOut]:
        """List customers by name."""
        async with sessions() as session:
            result = await session.execute(select(Customer).order_by(Customer.name).limit(limit))
            return [_customer_out(c) for c in result.scalars()]

    @get("/{customer_id:uuid}")
    async def get_customer(
        self, customer_id: FromPath[uuid.UUID], sessions: Sessions
    ) -> CustomerOut:
        """Show one customer."""
        async with sessions() as session:
            customer = await session.get(Customer, customer_id)
            if customer is None:
                raise ProblemError(404, "Not found", f"No customer with id {customer_id}.")
            return _customer_out(customer)


class ContactController(Controller):
    path = "/contacts"
    tags = ["contacts"]

    @get("/")
    async def find_contacts(
        self,
        sessions: Sessions,
        email: Annotated[str, Parameter(min_length=3)],
    ) -> list[ContactOut]:
        """Find the contact with an address (compared case-insensitively)."""
        async with sessions() as session:
            result = await session.execute(
                select(Contact)
                .join(ContactEmail)
                .where(ContactEmail.address == normalize_address(email))
            )
            return [_contact_out(c) for c in result.scalars()]

    @get("/{contact_id:uuid}")
    async def get_contact(self, contact_id: FromPath[uuid.UUID], sessions: Sessions) -> ContactOut:
        """Show one contact."""
        async with sessions() as session:
            contact = await session.get(Contact, contact_id)
            if contact is None:
                raise ProblemError(404, "Not found", f"No contact with id {contact_id}.")
            return _contact_out(contact)


def session_dependency(
    sessions: async_sessionmaker[AsyncSession],
) -> dict[str, Provide]:
    """Provide the session factory to handlers as `sessions`."""
    return {"sessions": Provide(lambda: sessions, sync_to_thread=False)}
