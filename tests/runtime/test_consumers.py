"""Durable consumers on real JetStream: acknowledgement, retry and dead-lettering."""

import uuid
from collections.abc import AsyncIterator

import msgspec
import nats
import pytest
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import ResolveContactRequest
from helpdesk_runtime.consumers import (
    Delivery,
    NotReadyError,
    UnprocessableMessageError,
    subscribe_durable,
)
from helpdesk_runtime.messaging import ensure_streams
from tests.support.servers import wait_until

# A subject inside the TICKET_EVENTS stream that no service uses, so nothing else reacts.
TEST_SUBJECT = "ticket.events.runtime_test"


@pytest.fixture
async def connection(nats_url: str) -> AsyncIterator[NatsClient]:
    client = await nats.connect(nats_url)
    await ensure_streams(client.jetstream())
    yield client
    await client.drain()


async def collect_dead_letters(client: NatsClient) -> list[Msg]:
    received: list[Msg] = []

    async def keep(message: Msg) -> None:
        received.append(message)

    await client.jetstream().subscribe(
        subjects.dead_letter_subject(TEST_SUBJECT), cb=keep, deliver_policy="new"
    )
    return received


def find_dead_letter(dead_letters: list[Msg], msg_id: str) -> Msg | None:
    for message in dead_letters:
        if message.headers and message.headers["Nats-Msg-Id"].endswith(msg_id):
            return message
    return None


async def start_consumer(
    nats_url: str, js: JetStreamContext, handler, max_attempts: int = 3
) -> NatsBroker:  # type: ignore[no-untyped-def]
    broker = NatsBroker(nats_url)
    subscribe_durable(
        broker,
        lambda: js,
        subject=TEST_SUBJECT,
        stream="TICKET_EVENTS",
        durable=f"runtime-test-{uuid.uuid4().hex[:8]}",
        message_type=ResolveContactRequest,
        handler=handler,
        max_attempts=max_attempts,
    )
    await broker.start()
    return broker


async def publish(js: JetStreamContext, body: bytes) -> str:
    msg_id = uuid.uuid4().hex
    await js.publish(TEST_SUBJECT, body, headers={"Nats-Msg-Id": msg_id})
    return msg_id


async def test_handled_message_is_acknowledged(nats_url: str, connection: NatsClient) -> None:
    js = connection.jetstream()
    seen: list[tuple[str, int]] = []

    async def handler(message: ResolveContactRequest, delivery: Delivery) -> None:
        seen.append((message.address, delivery.num_delivered))

    broker = await start_consumer(nats_url, js, handler)
    try:
        # The durable consumer starts at the stream's beginning; only this test's message counts.
        address = f"{uuid.uuid4().hex}@example.test"
        await publish(js, msgspec.json.encode(ResolveContactRequest(address=address)))

        async def handled() -> bool:
            return any(seen_address == address for seen_address, _ in seen)

        await wait_until(handled)
    finally:
        await broker.stop()

    assert [n for a, n in seen if a == address] == [1]


async def test_failing_handler_dead_letters(nats_url: str, connection: NatsClient) -> None:
    js = connection.jetstream()
    dead_letters = await collect_dead_letters(connection)
    address = f"{uuid.uuid4().hex}@example.test"
    attempts: list[int] = []

    async def handler(message: ResolveContactRequest, delivery: Delivery) -> None:
        if message.address == address:
            attempts.append(delivery.num_delivered)
            raise RuntimeError("database is on fire")

    broker = await start_consumer(nats_url, js, handler, max_attempts=2)
    try:
        msg_id = await publish(js, msgspec.json.encode(ResolveContactRequest(address=address)))

        async def dead_lettered() -> Msg | None:
            return find_dead_letter(dead_letters, msg_id)

        dead: Msg = await wait_until(dead_lettered, timeout=15)
    finally:
        await broker.stop()

    assert attempts == [1, 2]
    assert dead.headers is not None
    assert "database is on fire" in dead.headers["X-Error"]
    assert dead.headers["X-Original-Subject"] == TEST_SUBJECT
    assert msgspec.json.decode(dead.data, type=ResolveContactRequest).address == address


async def test_undecodable_message_dead_letters_at_once(
    nats_url: str, connection: NatsClient
) -> None:
    js = connection.jetstream()
    dead_letters = await collect_dead_letters(connection)
    calls: list[str] = []

    async def handler(message: ResolveContactRequest, _delivery: Delivery) -> None:
        calls.append(message.address)

    broker = await start_consumer(nats_url, js, handler)
    try:
        msg_id = await publish(js, b'{"address": 42, "not": "a request"')

        async def dead_lettered() -> Msg | None:
            return find_dead_letter(dead_letters, msg_id)

        dead: Msg = await wait_until(dead_lettered, timeout=15)
    finally:
        await broker.stop()

    assert dead.headers is not None
    assert dead.headers["X-Error"].startswith("invalid message")
    assert dead.headers["X-Num-Delivered"] == "1"


async def test_unprocessable_message_dead_letters_at_once(
    nats_url: str, connection: NatsClient
) -> None:
    js = connection.jetstream()
    dead_letters = await collect_dead_letters(connection)
    address = f"{uuid.uuid4().hex}@example.test"
    attempts: list[int] = []

    async def handler(message: ResolveContactRequest, delivery: Delivery) -> None:
        if message.address == address:
            attempts.append(delivery.num_delivered)
            raise UnprocessableMessageError("no such ticket")

    broker = await start_consumer(nats_url, js, handler, max_attempts=5)
    try:
        msg_id = await publish(js, msgspec.json.encode(ResolveContactRequest(address=address)))

        async def dead_lettered() -> Msg | None:
            return find_dead_letter(dead_letters, msg_id)

        dead: Msg = await wait_until(dead_lettered, timeout=15)
    finally:
        await broker.stop()

    assert attempts == [1]
    assert dead.headers is not None
    assert dead.headers["X-Error"] == "unprocessable: no such ticket"


async def test_not_ready_message_retried_until_handled(
    nats_url: str, connection: NatsClient
) -> None:
    js = connection.jetstream()
    dead_letters = await collect_dead_letters(connection)
    address = f"{uuid.uuid4().hex}@example.test"
    attempts: list[int] = []

    async def handler(message: ResolveContactRequest, delivery: Delivery) -> None:
        if message.address != address:
            return
        attempts.append(delivery.num_delivered)
        if delivery.num_delivered < 2:
            raise NotReadyError("the ticket this event follows is not there yet")

    broker = await start_consumer(nats_url, js, handler, max_attempts=3)
    try:
        msg_id = await publish(js, msgspec.json.encode(ResolveContactRequest(address=address)))

        async def handled_twice() -> bool:
            return len(attempts) >= 2

        await wait_until(handled_twice, timeout=15)
    finally:
        await broker.stop()

    assert attempts == [1, 2]
    assert find_dead_letter(dead_letters, msg_id) is None
