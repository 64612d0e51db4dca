"""Bounced replies become customer-invisible SYSTEM interactions on their ticket, once."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from nats.js import JetStreamContext

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import OutboundEmailBounced
from helpdesk_runtime.health import health_router
from helpdesk_runtime.messaging import encode
from helpdesk_runtime.service import ServiceRuntime
from tests.support.servers import serving, wait_until
from tests.ticket_service.helpers import TicketsApi, open_ticket, publish, ticket_settings
from ticket_service.mail_bounces import register_mail_bounces
from ticket_service.models import SCHEMA, outbox


@pytest.fixture(scope="module")
async def bounce_consumer(
    tickets: TicketsApi, nats_url: str, database_url: str
) -> AsyncIterator[None]:
    """Run the bounce consumer beside ticket_service, as `build_runtime` would register it."""
    settings = ticket_settings(nats_url, database_url)
    runtime = ServiceRuntime(
        "ticket_service", settings, package="ticket_service", schema=SCHEMA, outbox=outbox
    )
    register_mail_bounces(runtime)
    app = Litestar(
        route_handlers=[health_router("ticket_service", runtime)], lifespan=[runtime.lifespan]
    )
    async with serving(app):
        yield


def bounce_for(ticket_id: str, recipient: str) -> OutboundEmailBounced:
    return OutboundEmailBounced(
        ticket_id=uuid.UUID(ticket_id),
        interaction_id=uuid.uuid4(),
        message_id=f"{uuid.uuid4().hex}@tickets.test",
        status="5.1.1",
        diagnostic="smtp; 550 5.1.1 User unknown",
        recipient=recipient,
    )


def bounce_interactions(detail: dict[str, Any], recipient: str) -> list[dict[str, Any]]:
    return [
        interaction
        for interaction in detail["interactions"]
        if interaction["type"] == "SYSTEM" and recipient in interaction["text_body"]
    ]


async def test_bounce_adds_system_interaction(
    bounce_consumer: None, tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket = await open_ticket(tickets, js)
    recipient = f"{uuid.uuid4().hex[:8]}@customer.test"
    event = bounce_for(ticket["id"], recipient)

    await publish(js, subjects.MAIL_OUTBOUND_BOUNCED, event)

    async def recorded() -> list[dict[str, Any]]:
        return bounce_interactions(await tickets.detail(ticket["id"]), recipient)

    found = await wait_until(recorded)
    assert len(found) == 1
    assert found[0]["customer_visible"] is False
    assert "5.1.1" in found[0]["text_body"]
    assert "User unknown" in found[0]["text_body"]
    assert event.message_id in found[0]["text_body"]


async def test_bounce_redelivered_recorded_once(
    bounce_consumer: None, tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket = await open_ticket(tickets, js)
    first_recipient = f"{uuid.uuid4().hex[:8]}@customer.test"
    second_recipient = f"{uuid.uuid4().hex[:8]}@customer.test"
    repeated = bounce_for(ticket["id"], first_recipient)

    # The same event twice under different Nats-Msg-Ids passes JetStream's duplicate
    # window, so only the consumer's idempotency keeps the second copy out.
    await js.publish(
        subjects.MAIL_OUTBOUND_BOUNCED,
        encode(repeated),
        headers={"Nats-Msg-Id": f"first-{repeated.id}"},
    )
    await js.publish(
        subjects.MAIL_OUTBOUND_BOUNCED,
        encode(repeated),
        headers={"Nats-Msg-Id": f"second-{repeated.id}"},
    )
    await publish(js, subjects.MAIL_OUTBOUND_BOUNCED, bounce_for(ticket["id"], second_recipient))

    # The consumer handles events in order, so the later event marks the end.
    async def later_recorded() -> dict[str, Any] | None:
        detail = await tickets.detail(ticket["id"])
        return detail if bounce_interactions(detail, second_recipient) else None

    detail = await wait_until(later_recorded)
    assert len(bounce_interactions(detail, first_recipient)) == 1


async def test_bounce_for_unknown_ticket_dropped(
    bounce_consumer: None, tickets: TicketsApi, js: JetStreamContext
) -> None:
    lost = bounce_for(str(uuid.uuid4()), "lost@customer.test")
    await publish(js, subjects.MAIL_OUTBOUND_BOUNCED, lost)
    ticket = await open_ticket(tickets, js)
    recipient = f"{uuid.uuid4().hex[:8]}@customer.test"

    await publish(js, subjects.MAIL_OUTBOUND_BOUNCED, bounce_for(ticket["id"], recipient))

    async def recorded() -> list[dict[str, Any]]:
        return bounce_interactions(await tickets.detail(ticket["id"]), recipient)

    assert len(await wait_until(recorded)) == 1
