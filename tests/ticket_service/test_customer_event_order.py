"""customer_service's events reaching ticket_service out of order or twice."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import msgspec
import nats
import pytest
from nats.aio.client import Client as NatsClient
from sqlalchemy import select

from helpdesk_contracts import subjects
from helpdesk_contracts.enums import TicketSource, TicketStatus
from helpdesk_contracts.messages import ContactMoved, CustomerTierChanged, Message
from helpdesk_runtime.service import ServiceRuntime
from tests.support.servers import wait_until
from tests.ticket_service.helpers import ticket_settings
from ticket_service.customer_updates import CONSUMER_PREFIX, register_customer_updates
from ticket_service.models import SCHEMA, Ticket, outbox, processed_messages


@pytest.fixture(scope="module")
async def runtime(nats_url: str, database_url: str) -> AsyncIterator[ServiceRuntime]:
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
    runtime: ServiceRuntime, contact_id: uuid.UUID, customer_id: uuid.UUID
) -> uuid.UUID:
    now = datetime.now(UTC)
    ticket = Ticket(
        id=uuid.uuid4(),
        subject="Invoice missing",
        status=TicketStatus.OPEN,
        source=TicketSource.EMAIL,
        customer_id=customer_id,
        customer_name="First Co",
        customer_tier="Free",
        contact_ids=[contact_id],
        primary_contact_id=contact_id,
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


async def handled(runtime: ServiceRuntime, consumer: str, event: Message) -> None:
    """Wait until the consumer has claimed the event, so its transaction committed."""

    async def claimed() -> bool:
        async with runtime.sessions() as session:
            found = await session.scalar(
                select(processed_messages.c.message_id)
                .where(processed_messages.c.consumer == f"{CONSUMER_PREFIX}-{consumer}")
                .where(processed_messages.c.message_id == str(event.id))
            )
            return found is not None

    await wait_until(claimed)


async def stored(runtime: ServiceRuntime, ticket_id: uuid.UUID) -> Ticket:
    async with runtime.sessions() as session:
        ticket = await session.get(Ticket, ticket_id)
    assert ticket is not None
    return ticket


async def test_older_contact_move_after_newer_ignored(
    runtime: ServiceRuntime, nats_client: NatsClient
) -> None:
    contact_id, first, second, third = (uuid.uuid4() for _ in range(4))
    ticket_id = await add_ticket(runtime, contact_id, first)
    moved_at = datetime.now(UTC)
    to_second = ContactMoved(
        occurred_at=moved_at,
        contact_id=contact_id,
        from_customer_id=first,
        to_customer_id=second,
        customer_tier="Standard",
        customer_name="Second Co",
    )
    to_third = ContactMoved(
        occurred_at=moved_at + timedelta(seconds=1),
        contact_id=contact_id,
        from_customer_id=second,
        to_customer_id=third,
        customer_tier="Enterprise",
        customer_name="Third Co",
    )

    await publish(nats_client, subjects.CUSTOMER_CONTACT_MOVED, to_third)
    await handled(runtime, "contact_moved", to_third)
    await publish(nats_client, subjects.CUSTOMER_CONTACT_MOVED, to_second)
    await handled(runtime, "contact_moved", to_second)
    ticket = await stored(runtime, ticket_id)

    assert ticket.customer_id == third
    assert ticket.customer_name == "Third Co"
    assert ticket.customer_tier == "Enterprise"
    assert ticket.version == 2


async def test_older_tier_change_after_newer_ignored(
    runtime: ServiceRuntime, nats_client: NatsClient
) -> None:
    customer_id = uuid.uuid4()
    ticket_id = await add_ticket(runtime, uuid.uuid4(), customer_id)
    changed_at = datetime.now(UTC)
    to_standard = CustomerTierChanged(
        occurred_at=changed_at, customer_id=customer_id, from_tier="Free", to_tier="Standard"
    )
    to_premium = CustomerTierChanged(
        occurred_at=changed_at + timedelta(seconds=1),
        customer_id=customer_id,
        from_tier="Standard",
        to_tier="Premium",
    )

    await publish(nats_client, subjects.CUSTOMER_TIER_CHANGED, to_premium)
    await handled(runtime, "tier_changed", to_premium)
    await publish(nats_client, subjects.CUSTOMER_TIER_CHANGED, to_standard)
    await handled(runtime, "tier_changed", to_standard)
    ticket = await stored(runtime, ticket_id)

    assert ticket.customer_tier == "Premium"
    assert ticket.version == 2


async def test_tier_changes_in_order_all_apply(
    runtime: ServiceRuntime, nats_client: NatsClient
) -> None:
    customer_id = uuid.uuid4()
    ticket_id = await add_ticket(runtime, uuid.uuid4(), customer_id)
    changed_at = datetime.now(UTC)
    changes = [
        CustomerTierChanged(
            occurred_at=changed_at + timedelta(seconds=index),
            customer_id=customer_id,
            from_tier=from_tier,
            to_tier=to_tier,
        )
        for index, (from_tier, to_tier) in enumerate(
            [("Free", "Standard"), ("Standard", "Premium"), ("Premium", "Enterprise")]
        )
    ]

    for change in changes:
        await publish(nats_client, subjects.CUSTOMER_TIER_CHANGED, change)
        await handled(runtime, "tier_changed", change)
    ticket = await stored(runtime, ticket_id)

    assert ticket.customer_tier == "Enterprise"
    assert ticket.version == 4
