"""NATS and JetStream: connections, stream declaration and publishing with headers.

Publishing goes through nats-py's JetStream context so each publish waits for the
server's acknowledgement and carries `Nats-Msg-Id` for server-side de-duplication.
Subscribers are FastStream subscribers (see `consumers`).
"""

import uuid
from collections.abc import Mapping

import msgspec
import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import PubAck, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from helpdesk_contracts.messages import Message
from helpdesk_contracts.streams import ALL_STREAMS, StreamDefinition
from helpdesk_runtime.logging import get_logger

log = get_logger(__name__)

HEADER_MSG_ID = "Nats-Msg-Id"
HEADER_CORRELATION_ID = "X-Correlation-Id"
HEADER_TRACEPARENT = "traceparent"

_encoder = msgspec.json.Encoder()


class PublishFailedError(Exception):
    """Raised when JetStream did not acknowledge a publish."""


async def connect_nats(url: str, name: str) -> NatsClient:
    """Connect to NATS, reconnecting for ever after the first connection succeeds."""
    return await nats.connect(
        servers=[url],
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=5,
    )


def _stream_config(definition: StreamDefinition, replicas: int) -> StreamConfig:
    return StreamConfig(
        name=definition.name,
        subjects=list(definition.subjects),
        description=definition.description,
        storage=StorageType.FILE,
        max_age=float(definition.max_age_seconds),
        duplicate_window=float(definition.duplicate_window_seconds),
        num_replicas=replicas,
    )


async def ensure_streams(js: JetStreamContext, replicas: int = 1) -> None:
    """Create or update every stream in the contracts catalog."""
    for definition in ALL_STREAMS:
        config = _stream_config(definition, replicas)
        try:
            await js.stream_info(definition.name)
        except NotFoundError:
            await js.add_stream(config)
            log.info("stream created", stream=definition.name)
            continue
        await js.update_stream(config)


def encode(message: Message) -> bytes:
    """Encode a contract message as JSON."""
    return _encoder.encode(message)


def message_headers(
    msg_id: str,
    correlation_id: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Build the headers every JetStream publish carries."""
    headers = {HEADER_MSG_ID: msg_id, HEADER_CORRELATION_ID: correlation_id or msg_id}
    if extra:
        headers.update(extra)
    return headers


async def publish_durably(
    js: JetStreamContext,
    subject: str,
    payload: bytes,
    headers: dict[str, str],
    timeout: float = 5.0,
) -> PubAck:
    """Publish to JetStream and return only after the server stored the message."""
    try:
        ack = await js.publish(subject, payload, headers=headers, timeout=timeout)
    except Exception as exc:
        raise PublishFailedError(f"JetStream did not acknowledge {subject}: {exc!r}") from exc

    log.debug(
        "published",
        subject=subject,
        msg_id=headers.get(HEADER_MSG_ID),
        stream=ack.stream,
        seq=ack.seq,
        duplicate=bool(ack.duplicate),
    )
    return ack


async def publish_message(
    js: JetStreamContext,
    subject: str,
    message: Message,
    correlation_id: str | None = None,
) -> PubAck:
    """Publish a contract message with its id as `Nats-Msg-Id`."""
    headers = message_headers(str(message.id), correlation_id)
    return await publish_durably(js, subject, encode(message), headers)


def new_correlation_id() -> str:
    """Return a fresh correlation id for work that starts here."""
    return uuid.uuid4().hex
