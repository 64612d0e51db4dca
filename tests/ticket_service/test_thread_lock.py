"""Two messages of one new thread handled at once, as two replicas would, open one ticket."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client as NatsClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_contracts.messages import InboundEmailReceived
from helpdesk_runtime.database import create_engine, create_session_factory, unit_of_work
from tests.ticket_service.helpers import MAIL_DOMAIN, TicketsApi, inbound_mail, unique
from ticket_service.enrichment import ContactResolver
from ticket_service.inbound import InboundContext, handle_inbound_email
from ticket_service.models import Interaction, Ticket


@pytest.fixture(scope="module")
async def sessions(
    tickets: TicketsApi, database_url: str
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    # `tickets` runs ticket_service, which has migrated the schema.
    engine = create_engine(database_url, pool_size=4)
    yield create_session_factory(engine)
    await engine.dispose()


async def handle(
    sessions: async_sessionmaker[AsyncSession],
    resolver: ContactResolver,
    message: InboundEmailReceived,
) -> None:
    context = InboundContext(mail_domain=MAIL_DOMAIN, resolver=resolver, correlation_id="test")
    async with unit_of_work(sessions) as session:
        await handle_inbound_email(session, message, context)


async def test_root_and_reply_at_once_open_one_ticket(
    sessions: async_sessionmaker[AsyncSession], nats_connection: NatsClient
) -> None:
    resolver = ContactResolver(lambda: nats_connection, timeout_seconds=2.0)
    sender = f"{uuid.uuid4().hex[:8]}@race.test"
    threads = []
    for _ in range(5):
        root = inbound_mail(unique("Race"), sender)
        reply = inbound_mail(unique("Re: race"), sender, references=(root.message_id,))
        threads.append((root, reply))

    for root, reply in threads:
        await asyncio.gather(handle(sessions, resolver, root), handle(sessions, resolver, reply))

    async with sessions() as session:
        for root, reply in threads:
            ids = [root.message_id, reply.message_id]
            ticket_count = await session.scalar(
                select(func.count(func.distinct(Interaction.ticket_id))).where(
                    Interaction.message_id.in_(ids)
                )
            )
            threaded = await session.scalar(
                select(Ticket.email_thread_id)
                .join(Interaction, Interaction.ticket_id == Ticket.id)
                .where(Interaction.message_id == root.message_id)
            )
            assert ticket_count == 1
            assert threaded == root.message_id
