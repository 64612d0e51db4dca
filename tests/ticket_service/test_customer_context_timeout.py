"""The account context client when customer_service does not reply.

No customer_service runs in this module, so the silent subscriber below is the only
one on the subject and the request waits out its timeout.
"""

import uuid

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from helpdesk_contracts import subjects
from ticket_service.customer_context import AccountContextClient
from ticket_service.models import Ticket


async def test_silent_service_gives_null(nats_connection: NatsClient) -> None:
    received: list[Msg] = []

    async def never_reply(msg: Msg) -> None:
        received.append(msg)

    subscription = await nats_connection.subscribe(
        subjects.CUSTOMER_ACCOUNT_CONTEXT, cb=never_reply
    )
    await nats_connection.flush()
    client = AccountContextClient(lambda: nats_connection, timeout_seconds=0.2)
    ticket = Ticket(id=uuid.uuid4(), primary_contact_id=uuid.uuid4(), customer_id=None)

    try:
        context = await client.context_of(ticket)
    finally:
        await subscription.unsubscribe()

    assert context is None
    assert len(received) == 1


async def test_ticket_without_account_sends_nothing(nats_connection: NatsClient) -> None:
    client = AccountContextClient(lambda: nats_connection, timeout_seconds=0.2)
    ticket = Ticket(id=uuid.uuid4(), primary_contact_id=None, customer_id=None)

    assert await client.context_of(ticket) is None
