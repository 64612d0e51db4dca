"""The transactional outbox on real PostgreSQL and JetStream."""

import uuid
from collections.abc import AsyncIterator

import msgspec
import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from helpdesk_contracts.messages import ResolveContactRequest
from helpdesk_runtime.database import create_engine, create_session_factory, unit_of_work
from helpdesk_runtime.messaging import ensure_streams
from helpdesk_runtime.outbox import OutboxRelay, add_event, outbox_table
from tests.support.servers import wait_until

SUBJECT = "customer.events.outbox_test"


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=2)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE SCHEMA IF NOT EXISTS outbox_test"))
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def table(engine: AsyncEngine) -> Table:
    metadata = MetaData(schema="outbox_test")
    outbox = outbox_table(metadata)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return outbox


@pytest.fixture
async def connection(nats_url: str) -> AsyncIterator[NatsClient]:
    client = await nats.connect(nats_url)
    await ensure_streams(client.jetstream())
    yield client
    await client.drain()


async def test_relay_publishes_committed_events_once(
    engine: AsyncEngine, table: Table, connection: NatsClient, database_url: str
) -> None:
    sessions = create_session_factory(engine)
    received: list[Msg] = []

    async def keep(message: Msg) -> None:
        received.append(message)

    js = connection.jetstream()
    await js.subscribe(SUBJECT, cb=keep, deliver_policy="new")
    committed = ResolveContactRequest(address=f"{uuid.uuid4().hex}@committed.test")
    rolled_back = ResolveContactRequest(address=f"{uuid.uuid4().hex}@rolled-back.test")

    async with unit_of_work(sessions) as session:
        await add_event(session, table, SUBJECT, committed, correlation_id="corr-1")
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as session:
            await add_event(session, table, SUBJECT, rolled_back)
            raise RuntimeError("the change failed, so its event must not leave")

    relay = OutboxRelay(sessions, table, js, listen_dsn=database_url)
    first_pass = await relay.relay_pending()
    second_pass = await relay.relay_pending()

    async def delivered() -> list[Msg] | None:
        return received or None

    await wait_until(delivered)
    addresses = [msgspec.json.decode(m.data, type=ResolveContactRequest).address for m in received]
    assert first_pass == 1
    assert second_pass == 0
    assert addresses == [committed.address]
    assert received[0].headers is not None
    assert received[0].headers["Nats-Msg-Id"] == str(committed.id)
    assert received[0].headers["X-Correlation-Id"] == "corr-1"


async def test_relay_keeps_events_in_commit_order(
    engine: AsyncEngine, table: Table, connection: NatsClient, database_url: str
) -> None:
    sessions = create_session_factory(engine)
    received: list[Msg] = []

    async def keep(message: Msg) -> None:
        received.append(message)

    js = connection.jetstream()
    await js.subscribe(SUBJECT, cb=keep, deliver_policy="new")
    events = [
        ResolveContactRequest(address=f"{n}-{uuid.uuid4().hex}@order.test") for n in range(20)
    ]

    async with unit_of_work(sessions) as session:
        for event in events:
            await add_event(session, table, SUBJECT, event)
    await OutboxRelay(sessions, table, js, listen_dsn=database_url).relay_pending()

    async def all_delivered() -> bool:
        return len(received) >= len(events)

    await wait_until(all_delivered)
    addresses = [msgspec.json.decode(m.data, type=ResolveContactRequest).address for m in received]
    assert addresses == [event.address for event in events]
