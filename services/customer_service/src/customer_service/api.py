"""HTTP API for agents: customers with their domains and tiers, and contacts."""

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, patch, post, put
from litestar.di import Provide
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customer_service import change_events
from customer_service.domains import normalize_address
from customer_service.models import Contact, ContactEmail, Customer, CustomerDomain, TicketSummary
from customer_service.tiers import TierName, require_tier
from helpdesk_runtime.database import Sessions, unit_of_work
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.problems import ProblemError

log = get_logger(__name__)

DomainName = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")]
Address = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]
Phone = Annotated[str, msgspec.Meta(min_length=3, max_length=40)]


class CustomerCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new customer account."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
    tier: TierName = "Standard"
    domains: list[DomainName] = []
    owner: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    notes: str = ""
    attributes: dict[str, Any] = {}
    include_subdomains: bool = False


class CustomerUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Changes to a customer. A field left out (or null) stays as it is."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=300)] | None = None
    tier: TierName | None = None
    owner: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    notes: str | None = None
    attributes: dict[str, Any] | None = None
    include_subdomains: bool | None = None


class DomainAdd(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    domain: DomainName


class CustomerOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    tier: str
    domains: list[str]
    owner: str | None
    notes: str
    attributes: dict[str, Any]
    include_subdomains: bool


class ContactCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new contact. Every address must be unused (compared case-insensitively)."""

    name: Annotated[str, msgspec.Meta(max_length=300)] = ""
    emails: Annotated[list[Address], msgspec.Meta(min_length=1)]
    phones: list[Phone] = []
    customer_id: uuid.UUID | None = None
    sees_all_customer_tickets: bool = False


class ContactUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Changes to a contact. A field left out (or null) stays as it is.

    `add_emails` adds addresses, and `phones` replaces the phone list.
    """

    name: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    add_emails: list[Address] = []
    phones: list[Phone] | None = None
    sees_all_customer_tickets: bool | None = None


class ContactCustomer(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The customer a contact belongs to, or null for none."""

    customer_id: uuid.UUID | None


class ContactOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    customer_id: uuid.UUID | None
    emails: list[str]
    phones: list[str]
    sees_all_customer_tickets: bool


def customer_out(customer: Customer) -> CustomerOut:
    return CustomerOut(
        id=customer.id,
        name=customer.name,
        tier=customer.tier,
        domains=sorted(d.domain for d in customer.domains),
        owner=customer.owner,
        notes=customer.notes,
        attributes=customer.attributes,
        include_subdomains=customer.include_subdomains,
    )


def contact_out(contact: Contact) -> ContactOut:
    return ContactOut(
        id=contact.id,
        name=contact.name,
        customer_id=contact.customer_id,
        emails=sorted(e.address for e in contact.emails),
        phones=list(contact.phones),
        sees_all_customer_tickets=contact.sees_all_customer_tickets,
    )


async def load_customer(session: AsyncSession, customer_id: uuid.UUID) -> Customer:
    """Return the customer or raise a 404 problem."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise ProblemError(404, "Not found", f"No customer with id {customer_id}.")
    return customer


async def load_contact(session: AsyncSession, contact_id: uuid.UUID) -> Contact:
    """Return the contact or raise a 404 problem."""
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise ProblemError(404, "Not found", f"No contact with id {contact_id}.")
    return contact


def _address_taken(addresses: list[str]) -> ProblemError:
    return ProblemError(
        409,
        "Address already assigned",
        f"One of the addresses {addresses} already belongs to a contact.",
        field="$.emails",
    )


def _search_pattern(q: str) -> str:
    escaped = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class CustomerController(Controller):
    path = "/customers"
    tags = ["customers"]

    @post("/")
    async def create_customer(
        self, data: JSONBody[CustomerCreate], sessions: Sessions
    ) -> CustomerOut:
        """Create a customer. Each domain may belong to one customer only."""
        domains = sorted({d.lower() for d in data.domains})
        try:
            async with unit_of_work(sessions) as session:
                await require_tier(session, data.tier)
                customer = Customer(
                    id=uuid.uuid4(),
                    name=data.name,
                    tier=data.tier,
                    owner=data.owner,
                    notes=data.notes,
                    attributes=data.attributes,
                    include_subdomains=data.include_subdomains,
                )
                customer.domains = [CustomerDomain(domain=d) for d in domains]
                session.add(customer)
                await session.flush()
                return customer_out(customer)
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
        q: Annotated[str | None, Parameter(min_length=1, max_length=300)] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> list[CustomerOut]:
        """List customers by name, optionally those whose name or a domain contains `q`."""
        query = select(Customer).order_by(Customer.name).limit(limit)
        if q is not None:
            pattern = _search_pattern(q)
            owning = select(CustomerDomain.customer_id).where(CustomerDomain.domain.like(pattern))
            query = query.where(or_(Customer.name.ilike(pattern), Customer.id.in_(owning)))
        async with sessions() as session:
            result = await session.execute(query)
            return [customer_out(c) for c in result.scalars()]

    @get("/{customer_id:uuid}")
    async def get_customer(
        self, customer_id: FromPath[uuid.UUID], sessions: Sessions
    ) -> CustomerOut:
        """Show one customer."""
        async with sessions() as session:
            return customer_out(await load_customer(session, customer_id))

    @patch("/{customer_id:uuid}")
    async def update_customer(
        self, customer_id: FromPath[uuid.UUID], data: JSONBody[CustomerUpdate], sessions: Sessions
    ) -> CustomerOut:
        """Change a customer and announce a new tier as `customer.events.tier_changed`."""
        async with unit_of_work(sessions) as session:
            customer = await load_customer(session, customer_id)

            if data.tier is not None and data.tier != customer.tier:
                await require_tier(session, data.tier)
                await change_events.tier_changed(session, customer.id, customer.tier, data.tier)
                log.info(
                    "customer tier changed",
                    customer_id=str(customer.id),
                    from_tier=customer.tier,
                    to_tier=data.tier,
                )
                customer.tier = data.tier

            if data.name is not None:
                customer.name = data.name
            if data.owner is not None:
                customer.owner = data.owner
            if data.notes is not None:
                customer.notes = data.notes
            if data.attributes is not None:
                customer.attributes = data.attributes
            if data.include_subdomains is not None:
                customer.include_subdomains = data.include_subdomains
            await session.flush()
            return customer_out(customer)

    @post("/{customer_id:uuid}/domains")
    async def add_domain(
        self, customer_id: FromPath[uuid.UUID], data: JSONBody[DomainAdd], sessions: Sessions
    ) -> CustomerOut:
        """Add a domain to a customer and announce it as `customer.events.domain_added`."""
        domain = data.domain.lower()
        try:
            async with unit_of_work(sessions) as session:
                customer = await load_customer(session, customer_id)
                if domain not in {d.domain for d in customer.domains}:
                    customer.domains.append(CustomerDomain(domain=domain))
                    await session.flush()
                    await change_events.domain_added(session, customer.id, domain)
                    log.info("customer domain added", customer_id=str(customer.id), domain=domain)
                return customer_out(customer)
        except IntegrityError as exc:
            raise ProblemError(
                409,
                "Domain already assigned",
                f"The domain {domain} already belongs to another customer.",
                field="$.domain",
            ) from exc


class ContactController(Controller):
    path = "/contacts"
    tags = ["contacts"]

    @post("/")
    async def create_contact(self, data: JSONBody[ContactCreate], sessions: Sessions) -> ContactOut:
        """Create a contact with its addresses and phone numbers."""
        addresses = sorted({normalize_address(a) for a in data.emails})
        try:
            async with unit_of_work(sessions) as session:
                if data.customer_id is not None:
                    await load_customer(session, data.customer_id)
                contact = Contact(
                    id=uuid.uuid4(),
                    name=data.name,
                    customer_id=data.customer_id,
                    phones=list(data.phones),
                    sees_all_customer_tickets=data.sees_all_customer_tickets,
                )
                contact.emails = [ContactEmail(address=a) for a in addresses]
                session.add(contact)
                await session.flush()
                return contact_out(contact)
        except IntegrityError as exc:
            raise _address_taken(addresses) from exc

    @get("/")
    async def find_contacts(
        self,
        sessions: Sessions,
        email: Annotated[str | None, Parameter(min_length=3)] = None,
        q: Annotated[str | None, Parameter(min_length=1, max_length=320)] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> list[ContactOut]:
        """Find the contact with an address (`email`, exact) or by name or address (`q`)."""
        query = select(Contact).order_by(Contact.name).limit(limit)
        if email is not None:
            owner = select(ContactEmail.contact_id).where(
                ContactEmail.address == normalize_address(email)
            )
            query = query.where(Contact.id.in_(owner))
        if q is not None:
            pattern = _search_pattern(q)
            matching = select(ContactEmail.contact_id).where(ContactEmail.address.like(pattern))
            query = query.where(or_(Contact.name.ilike(pattern), Contact.id.in_(matching)))
        async with sessions() as session:
            result = await session.execute(query)
            return [contact_out(c) for c in result.scalars()]

    @get("/{contact_id:uuid}")
    async def get_contact(self, contact_id: FromPath[uuid.UUID], sessions: Sessions) -> ContactOut:
        """Show one contact."""
        async with sessions() as session:
            return contact_out(await load_contact(session, contact_id))

    @patch("/{contact_id:uuid}")
    async def update_contact(
        self, contact_id: FromPath[uuid.UUID], data: JSONBody[ContactUpdate], sessions: Sessions
    ) -> ContactOut:
        """Rename a contact, add addresses, replace phones or change portal visibility."""
        added = sorted({normalize_address(a) for a in data.add_emails})
        try:
            async with unit_of_work(sessions) as session:
                contact = await load_contact(session, contact_id)
                if data.name is not None:
                    contact.name = data.name
                if data.phones is not None:
                    contact.phones = list(data.phones)
                if data.sees_all_customer_tickets is not None:
                    contact.sees_all_customer_tickets = data.sees_all_customer_tickets
                known = {e.address for e in contact.emails}
                contact.emails.extend(ContactEmail(address=a) for a in added if a not in known)
                await session.flush()
                return contact_out(contact)
        except IntegrityError as exc:
            raise _address_taken(added) from exc

    @put("/{contact_id:uuid}/customer")
    async def move_contact(
        self, contact_id: FromPath[uuid.UUID], data: JSONBody[ContactCustomer], sessions: Sessions
    ) -> ContactOut:
        """Move a contact to another customer (or none) and announce it as `contact_moved`."""
        async with unit_of_work(sessions) as session:
            contact = await load_contact(session, contact_id)
            target = None
            if data.customer_id is not None:
                target = await load_customer(session, data.customer_id)

            if contact.customer_id != data.customer_id:
                await change_events.contact_moved(
                    session,
                    contact.id,
                    contact.customer_id,
                    data.customer_id,
                    target.tier if target else None,
                    target.name if target else None,
                )
                log.info(
                    "contact moved",
                    contact_id=str(contact.id),
                    from_customer_id=str(contact.customer_id) if contact.customer_id else None,
                    to_customer_id=str(data.customer_id) if data.customer_id else None,
                )
                contact.customer_id = data.customer_id
                # The contact's earlier tickets follow it, as ticket_service's rows do.
                await session.execute(
                    update(TicketSummary)
                    .where(TicketSummary.primary_contact_id == contact.id)
                    .values(customer_id=data.customer_id)
                )
            await session.flush()
            return contact_out(contact)


def session_dependency(
    sessions: async_sessionmaker[AsyncSession],
) -> dict[str, Provide]:
    """Provide the session factory to handlers as `sessions`."""
    return {"sessions": Provide(lambda: sessions, sync_to_thread=False)}
