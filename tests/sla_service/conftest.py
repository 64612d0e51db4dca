"""One sla_service for the package, on the session's real NATS and PostgreSQL."""

import uuid
from collections.abc import AsyncIterator

import msgspec
import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import SlaTargetsSet
from helpdesk_runtime.database import create_engine
from helpdesk_runtime.settings import load_settings
from sla_service.app import create_app
from sla_service.settings import SlaSettings
from tests.sla_service.sla_events import SlaEventLog
from tests.support.servers import serving


@pytest.fixture(scope="package")
async def sla_api(nats_url: str, database_url: str) -> AsyncIterator[str]:
    settings = load_settings(
        SlaSettings, environ={}, nats_url=nats_url, database_url=database_url, log_level="warning"
    )
    async with serving(create_app(settings)) as base_url:
        yield base_url


@pytest.fixture(scope="package")
async def nats_client(sla_api: str, nats_url: str) -> AsyncIterator[NatsClient]:
    # Depends on sla_api because the service declares the JetStream streams at start-up.
    connection = await nats.connect(nats_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture(scope="package")
def jetstream(nats_client: NatsClient) -> JetStreamContext:
    return nats_client.jetstream()


class TargetsSetLog:
    """Every `SlaTargetsSet` in the SLA_EVENTS stream, by ticket id, in stream order."""

    def __init__(self) -> None:
        self.by_ticket: dict[uuid.UUID, list[SlaTargetsSet]] = {}

    async def on_message(self, message: Msg) -> None:
        event = msgspec.json.decode(message.data, type=SlaTargetsSet)
        self.by_ticket.setdefault(event.ticket_id, []).append(event)

    def of(self, ticket_id: uuid.UUID) -> list[SlaTargetsSet]:
        return self.by_ticket.get(ticket_id, [])


@pytest.fixture(scope="package")
async def targets_set_log(jetstream: JetStreamContext) -> AsyncIterator[TargetsSetLog]:
    log = TargetsSetLog()
    subscription = await jetstream.subscribe(
        subjects.SLA_TARGETS_SET, cb=log.on_message, ordered_consumer=True
    )
    try:
        yield log
    finally:
        await subscription.unsubscribe()


@pytest.fixture(scope="package")
async def sla_event_log(jetstream: JetStreamContext) -> AsyncIterator[SlaEventLog]:
    log = SlaEventLog()
    subscription = await jetstream.subscribe(
        "sla.events.>", cb=log.on_message, ordered_consumer=True
    )
    try:
        yield log
    finally:
        await subscription.unsubscribe()


@pytest.fixture(scope="package")
async def sla_engine(sla_api: str, database_url: str) -> AsyncIterator[AsyncEngine]:
    # Depends on sla_api so the service has migrated the schema first.
    engine = create_engine(database_url, pool_size=4)
    try:
        yield engine
    finally:
        await engine.dispose()
