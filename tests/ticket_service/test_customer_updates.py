"""Tickets following customer_service's contact moves, tier changes and merges."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import msgspec
import nats
import pytest
from nats.aio.client import Client as NatsClient

from helpdesk_contracts import subjects
from helpdesk_contracts.enums import TicketSource, TicketStatus
from helpdesk_contracts.messages import (
    ContactMoved,
    ContactsMerged,
    CustomerTierChanged,
    Message,
)
from helpdesk_runtime.service import ServiceRuntime
from tests.support.servers import wait_until
from tests.ticket_service.helpers import ticket_settings
from ticket_service.customer_updates import register_customer_updates
from ticket_service.models import SCHEMA, Ticket, outbox


@pytest.fixture(scope="module")
async def runtime(nats_url: str, database_url: str) -> AsyncIterator[ServiceRuntime]:
    # The consumers on a runtime of their own, as the app registers them next to its others.
    service = ServiceRuntime(
        "ticket_service",
        ticket_settings(nats_url, database_url),
        package="ticket_service",
        schema=SCHEMA,
        outbox=outbox,
    )
    register_customer_updates(service)
    await service.start()
    yield service
    await service.stop()


@pytest.fixture(scope="module")
async def nats_client(nats_url: str) -> AsyncIterator[NatsClient]:
    connection = await nats.connect(nats_url)
    yield connection
    await connection.close()


async def add_ticket(
    runtime: ServiceRuntime,
    contact_ids: list[uuid.UUID],
    customer_id: uuid.UUID | None = None,
    tier: str | None = None,
) -> uuid.UUID:
    now = datetime.now(UTC)
    ticket = Ticket(
        id=uuid.uuid4(),
        subject="Cannot log in",
        status=TicketStatus.OPEN,
        source=TicketSource.EMAIL,
        customer_id=customer_id,
        customer_name="Old Co" if customer_id else None,
        customer_tier=tier,
        contact_ids=contact_ids,
        primary_contact_id=contact_ids[0],
        created_at=now,
        updated_at=now,
        version=1,
    )
    async with runtime.sessions() as session, session.begin():
        session.add(ticket)
    return ticket.id


async def publish(nats_client: NatsClient, subject: str, event: Message) -> None:
    await nats_client.jetstream().publish(
        subject, msgspec.json.encode(event), headers={"Nats-Msg-Id": str(event.id)}
    )


async def ticket_at_version(runtime: ServiceRuntime, ticket_id: uuid.UUID, version: int) -> Ticket:
    async def changed() -> Ticket | None:
        async with runtime.sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            return ticket if ticket is not None and ticket.version >= version else None

    ticket: Ticket = await wait_until(changed)
    return ticket


async def test_contact_move_updates_customer(
    runtime: ServiceRuntime, nats_client: NatsClient
) -> None:
    contact_id = uuid.uuid4()
    new_customer = uuid.uuid4()
    ticket_id = await add_ticket(runtime, [contact_id], uuid.uuid4(), "Free")
    event = ContactMoved(
        contact_id=contact_id,
        from_customer_id=None,
        to_customer_id=new_customer,
        customer_tier="Enterprise",
        customer_name="New Co",
    )

    await publish(nats_client, subjects.CUSTOMER_CONTACT_MOVED, event)
    ticket = await ticket_at_version(runtime, ticket_id, 2)

    assert ticket.customer_id == new_customer
    assert ticket.customer_name == "New Co"
    assert ticket.customer_tier == "Enterprise"
    assert ticket.version == 2


async def test_tier_change_updates_tickets(
    runtime: ServiceRuntime, nats_client: NatsClient
) -> None:
    customer_id = uuid.uuid4()
    ticket_ids = [await add_ticket(runtime, [uuid.uuid4()], customer_id, "Standard") for _ in "ab"]
    event = CustomerTierChanged(customer_id=customer_id, from_tier="Standard", to_tier="Premium")

    await publish(nats_client, subjects.CUSTOMER_TIER_CHANGED, event)
    await publish(nats_client, subjects.CUSTOMER_TIER_CHANGED, event)

    for ticket_id in ticket_ids:
        ticket = await ticket_at_version(runtime, ticket_id, 2)
        assert ticket.customer_tier == "Premium"
        assert ticket.version == 2


async def test_merge_replaces_contact(runtime: ServiceRuntime, nats_client: NatsClient) -> None:
    source, target, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    primary_ticket = await add_ticket(runtime, [source, other])
    both_ticket = await add_ticket(runtime, [other, source, target])
    event = ContactsMerged(source_contact_id=source, target_contact_id=target)

    await publish(nats_client, subjects.CUSTOMER_CONTACTS_MERGED, event)
    primary = await ticket_at_version(runtime, primary_ticket, 2)
    both = await ticket_at_version(runtime, both_ticket, 2)

    assert primary.contact_ids == [target, other]
    assert primary.primary_contact_id == target
    assert both.contact_ids == [other, target]
    assert both.primary_contact_id == other
