"""Portal requests when customer_service returns no scope.

No customer_service runs in this module. The subscribers below stand in for it, so a
request either waits out the scope timeout or gets an error reply, and the portal
request must fail instead of answering without a scope.
"""

import uuid
from collections.abc import AsyncIterator

import msgspec
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import (
    ErrorReply,
    PortalTicketListReply,
    PortalTicketListRequest,
    PortalViewer,
)
from tests.ticket_service.helpers import running_ticket_service, ticket_settings
from ticket_service.portal_scope import ContactScopeClient, ScopeUnavailableError


@pytest.fixture(scope="module")
async def ticket_service_alone(nats_url: str, database_url: str) -> AsyncIterator[str]:
    settings = ticket_settings(nats_url, database_url, contact_scope_timeout_seconds=0.3)
    async with running_ticket_service(settings) as base_url:
        yield base_url


async def list_request(nats_connection: NatsClient) -> bytes:
    message = PortalTicketListRequest(viewer=PortalViewer(contact_id=uuid.uuid4()))
    response = await nats_connection.request(
        subjects.TICKET_PORTAL_LIST, msgspec.json.encode(message), timeout=10
    )
    return response.data


async def test_silent_scope_fails_request(
    ticket_service_alone: str, nats_connection: NatsClient
) -> None:
    received: list[Msg] = []

    async def never_reply(msg: Msg) -> None:
        received.append(msg)

    subscription = await nats_connection.subscribe(subjects.CUSTOMER_CONTACT_SCOPE, cb=never_reply)
    await nats_connection.flush()
    try:
        data = await list_request(nats_connection)
    finally:
        await subscription.unsubscribe()

    error = msgspec.json.decode(data, type=ErrorReply)
    assert "scope" in error.error
    assert len(received) == 1
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(data, type=PortalTicketListReply)


async def test_scope_error_reply_fails_request(
    ticket_service_alone: str, nats_connection: NatsClient
) -> None:
    async def reply_error(msg: Msg) -> None:
        await msg.respond(msgspec.json.encode(ErrorReply(error="database unavailable")))

    subscription = await nats_connection.subscribe(subjects.CUSTOMER_CONTACT_SCOPE, cb=reply_error)
    await nats_connection.flush()
    try:
        data = await list_request(nats_connection)
    finally:
        await subscription.unsubscribe()

    error = msgspec.json.decode(data, type=ErrorReply)
    assert "database unavailable" in error.error


async def test_scope_client_raises_on_silence(nats_connection: NatsClient) -> None:
    client = ContactScopeClient(lambda: nats_connection, timeout_seconds=0.2)

    with pytest.raises(ScopeUnavailableError):
        await client.scope_of(uuid.uuid4(), "correlation")
