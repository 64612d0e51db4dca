"""Durable JetStream consumers with explicit delivery semantics.

`subscribe_durable` registers a FastStream pull subscriber that:

- decodes the body into the contract type, and dead-letters a body that does not decode
  (retrying cannot fix it);
- binds the correlation id, message id and subject into the log context;
- acknowledges after the handler returns;
- on a handler error, requests redelivery with a growing delay, and after `max_attempts`
  deliveries publishes the message to `deadletter.<subject>` with the error and
  acknowledges it, so a poison message never blocks its stream;
- on `UnprocessableMessageError`, dead-letters the message at once, because the handler
  knows that no retry can succeed.
"""

import asyncio
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.messages import Message
from helpdesk_contracts.subjects import dead_letter_subject
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.idempotency import claim_message
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.messaging import (
    HEADER_CORRELATION_ID,
    HEADER_MSG_ID,
    publish_durably,
)
from helpdesk_runtime.metrics import counter

if TYPE_CHECKING:
    from helpdesk_runtime.service import ServiceRuntime

log = get_logger(__name__)

dead_lettered_total = counter(
    "messages_dead_lettered_total", "Messages moved to a dead-letter subject."
)
handler_failures_total = counter(
    "message_handler_failures_total", "Handler errors that led to a redelivery."
)

MessageT = TypeVar("MessageT", bound=Message)


class UnprocessableMessageError(Exception):
    """Raised by a handler for a message that no retry can make succeed.

    An example is an event about a ticket that does not exist where events can only
    follow the ticket's creation. The message goes to the dead-letter subject at once.
    """


class NotReadyError(Exception):
    """Raised by a handler for a message that arrived before the one it depends on.

    Events of one ticket reach separate consumers in any order, so an interaction can
    come before its ticket's creation. The message is retried like after any failure,
    but logged at info level, because the wait is expected.
    """


class Delivery(msgspec.Struct, kw_only=True):
    """Transport facts about one delivery of a message."""

    subject: str
    msg_id: str
    correlation_id: str
    num_delivered: int
    headers: dict[str, str]


Handler = Callable[[MessageT, Delivery], Awaitable[None]]


def _delivery_of(message: NatsMessage) -> Delivery:
    raw = message.raw_message
    headers = dict(raw.headers or {})
    msg_id = headers.get(HEADER_MSG_ID, "")
    num_delivered = 1
    if raw.metadata is not None and raw.metadata.num_delivered is not None:
        num_delivered = raw.metadata.num_delivered
    return Delivery(
        subject=raw.subject,
        msg_id=msg_id,
        correlation_id=headers.get(HEADER_CORRELATION_ID, msg_id),
        num_delivered=num_delivered,
        headers=headers,
    )


async def dead_letter(
    js: JetStreamContext, delivery: Delivery, body: bytes, error: str, consumer: str
) -> None:
    """Publish a message that cannot be handled to its dead-letter subject."""
    headers = {
        **{k: v for k, v in delivery.headers.items() if not k.startswith("Nats-")},
        "Nats-Msg-Id": f"dlq-{consumer}-{delivery.msg_id or delivery.correlation_id}",
        "X-Original-Subject": delivery.subject,
        "X-Consumer": consumer,
        "X-Error": error[:2000],
        "X-Num-Delivered": str(delivery.num_delivered),
    }
    await publish_durably(js, dead_letter_subject(delivery.subject), body, headers)
    dead_lettered_total.inc(subject=delivery.subject, consumer=consumer)
    log.error(
        "message dead-lettered",
        subject=delivery.subject,
        msg_id=delivery.msg_id,
        consumer=consumer,
        error=error,
        num_delivered=delivery.num_delivered,
    )


def _retry_delay(num_delivered: int) -> float:
    # 1 s, 2 s, 4 s, ... capped at 60 s: quick recovery from a blip, gentle on an outage.
    return float(min(60, 2 ** max(0, num_delivered - 1)))


def subscribe_durable(
    broker: NatsBroker,
    js_provider: Callable[[], JetStreamContext],
    *,
    subject: str,
    stream: str,
    durable: str,
    message_type: type[MessageT],
    handler: Handler[MessageT],
    max_attempts: int = 5,
    batch_size: int = 16,
) -> None:
    """Register a durable pull consumer on `subject` that calls `handler` per message."""
    decoder = msgspec.json.Decoder(message_type)

    async def consume(message: NatsMessage) -> None:
        delivery = _delivery_of(message)
        body: bytes = message.body

        with bound_context(
            correlation_id=delivery.correlation_id,
            msg_id=delivery.msg_id,
            subject=delivery.subject,
            consumer=durable,
        ):
            try:
                decoded = decoder.decode(body)
            except msgspec.DecodeError as exc:
                await dead_letter(js_provider(), delivery, body, f"invalid message: {exc}", durable)
                await message.ack()
                return

            try:
                await handler(decoded, delivery)
            except UnprocessableMessageError as exc:
                await dead_letter(js_provider(), delivery, body, f"unprocessable: {exc}", durable)
                await message.ack()
                return
            except Exception as exc:
                await _handle_failure(message, delivery, body, exc)
                return

            await message.ack()

    async def _handle_failure(
        message: NatsMessage, delivery: Delivery, body: bytes, exc: Exception
    ) -> None:
        handler_failures_total.inc(subject=delivery.subject, consumer=durable)
        if delivery.num_delivered >= max_attempts:
            error = "".join(traceback.format_exception_only(exc)).strip()
            await dead_letter(js_provider(), delivery, body, error, durable)
            await message.ack()
            return

        delay = _retry_delay(delivery.num_delivered)
        if isinstance(exc, NotReadyError) and delivery.num_delivered + 1 < max_attempts:
            log.info(
                "message arrived before the one it follows, redelivering",
                reason=str(exc),
                num_delivered=delivery.num_delivered,
                retry_in_seconds=delay,
            )
            await message.nack(delay=delay)
            return

        log.warning(
            "message handler failed, redelivering",
            error=repr(exc),
            num_delivered=delivery.num_delivered,
            retry_in_seconds=delay,
            # The traceback only on the last attempt: expected races (an event before the
            # one it follows) would otherwise fill the log with stack traces.
            exc_info=delivery.num_delivered + 1 >= max_attempts,
        )
        await message.nack(delay=delay)

    subscriber = broker.subscriber(
        subject,
        stream=JStream(stream, declare=False),
        durable=durable,
        config=ConsumerConfig(
            ack_wait=60,
            max_deliver=-1,
            deliver_policy=DeliverPolicy.ALL,
        ),
        pull_sub=PullSub(batch_size=batch_size, timeout=1.0),
        ack_policy=AckPolicy.MANUAL,
    )
    subscriber(consume)


ReplyHandler = Callable[[Any], Awaitable[msgspec.Struct]]


def serve_requests(
    runtime: "ServiceRuntime",
    *,
    subject: str,
    queue: str,
    request_type: type[MessageT],
    handler: Callable[[MessageT], Awaitable[msgspec.Struct]],
    error_reply: Callable[[str], msgspec.Struct],
    max_concurrent: int = 64,
) -> None:
    """Serve core NATS request/reply on `subject` in the queue group `queue`.

    It subscribes with nats-py directly rather than through FastStream: a request is a
    few milliseconds of work, and FastStream's per-message dependency injection (which
    resolves the message argument in a worker thread) cost as much again. nats-py runs
    one subscription's callbacks one at a time, so each request gets its own task, up to
    `max_concurrent` at once.
    """
    decoder = msgspec.json.Decoder(request_type)
    encoder = msgspec.json.Encoder()
    slots = asyncio.Semaphore(max_concurrent)
    in_flight: set[asyncio.Task[None]] = set()

    async def answer(message: Msg) -> None:
        headers = message.headers or {}
        with bound_context(correlation_id=headers.get(HEADER_CORRELATION_ID), subject=subject):
            try:
                request = decoder.decode(message.data)
            except msgspec.DecodeError as exc:
                log.warning("invalid request", error=str(exc))
                await message.respond(encoder.encode(error_reply(f"invalid request: {exc}")))
                return

            try:
                reply = encoder.encode(await handler(request))
            except Exception as exc:
                log.exception("request handler failed")
                reply = encoder.encode(error_reply(f"request failed: {exc!r}"))
            await message.respond(reply)

    async def answer_in_slot(message: Msg) -> None:
        async with slots:
            await answer(message)

    async def dispatch(message: Msg) -> None:
        task = asyncio.create_task(answer_in_slot(message))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)

    async def subscribe(connection: NatsClient) -> None:
        await connection.subscribe(subject, queue=queue, cb=dispatch)

    runtime.add_startup_hook(subscribe)


Apply = Callable[[AsyncSession, MessageT, Delivery], Awaitable[None]]


def subscribe_idempotent(
    runtime: "ServiceRuntime",
    *,
    subject: str,
    stream: str,
    durable: str,
    message_type: type[MessageT],
    processed: Table,
    apply: Apply[MessageT],
    max_attempts: int = 5,
) -> None:
    """Register a durable consumer that runs `apply` once per event id, in one transaction.

    The event id is claimed in `processed` (a `processed_messages_table`) in the same
    transaction as `apply`'s change, so a redelivered event changes nothing twice and a
    failed one leaves no claim behind.
    """

    async def handle(event: MessageT, delivery: Delivery) -> None:
        with bound_context(event_id=event.id, ticket_id=getattr(event, "ticket_id", None)):
            async with unit_of_work(runtime.sessions) as session:
                if not await claim_message(session, processed, durable, event.id):
                    log.info("event already handled")
                    return
                await apply(session, event, delivery)

    def jetstream() -> JetStreamContext:
        return runtime.js

    subscribe_durable(
        runtime.broker,
        jetstream,
        subject=subject,
        stream=stream,
        durable=durable,
        message_type=message_type,
        handler=handle,
        max_attempts=max_attempts,
    )
