"""Automatic mail on tickets: out-of-office replies open nothing and stay hidden from customers."""

import re
import uuid

import msgspec
from nats.js import JetStreamContext

from tests.support.servers import wait_until
from tests.ticket_service.helpers import (
    TicketsApi,
    inbound_mail,
    open_ticket,
    publish_mail,
    unique,
)

UNTHREADED_METRIC = re.compile(r"^ticket_automatic_replies_unthreaded_total (\S+)$", re.MULTILINE)


async def unthreaded_count(tickets: TicketsApi) -> float:
    metrics = (await tickets.client.get("/metrics")).text
    found = UNTHREADED_METRIC.search(metrics)
    return float(found.group(1)) if found else 0.0


async def test_unthreaded_auto_reply_opens_nothing(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    before = await unthreaded_count(tickets)
    out_of_office = inbound_mail(
        unique("Out of Office: away until Monday"),
        f"{uuid.uuid4().hex[:8]}@customer.test",
        automatic_reply=True,
    )

    await publish_mail(js, out_of_office)

    async def counted() -> float | None:
        count = await unthreaded_count(tickets)
        return count if count > before else None

    assert await wait_until(counted) == before + 1
    assert await tickets.with_subject(out_of_office.subject) is None
    listed = await tickets.client.get("/set-aside-replies")
    assert listed.status_code == 200, listed.text
    [kept] = [row for row in listed.json() if row["message_id"] == out_of_office.message_id]
    assert kept["raw_message_id"] == str(out_of_office.raw_message_id)
    assert kept["reason"] == "Auto-Submitted: auto-replied"


async def test_set_aside_reply_recorded_once(tickets: TicketsApi, js: JetStreamContext) -> None:
    before = await unthreaded_count(tickets)
    out_of_office = inbound_mail(
        unique("Abwesenheitsnotiz"),
        f"{uuid.uuid4().hex[:8]}@customer.test",
        automatic_reply=True,
    )

    await publish_mail(js, out_of_office)
    await publish_mail(js, msgspec.structs.replace(out_of_office, id=uuid.uuid4()))

    async def counted() -> float | None:
        count = await unthreaded_count(tickets)
        return count if count >= before + 2 else None

    await wait_until(counted)
    listed = (await tickets.client.get("/set-aside-replies", params={"limit": 200})).json()
    assert [row["message_id"] for row in listed].count(out_of_office.message_id) == 1


async def test_unthreaded_notification_opens_ticket(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    alert = inbound_mail(
        unique("Disk almost full on db-3"),
        f"monitor-{uuid.uuid4().hex[:8]}@customer.test",
        auto_submitted=True,
    )

    await publish_mail(js, alert)
    ticket = await tickets.wait_for_subject(alert.subject)

    assert ticket["status"] == "Open"


async def test_threaded_auto_reply_hidden_from_customer(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket = await open_ticket(tickets, js)
    [first] = ticket["interactions"]
    out_of_office = inbound_mail(
        unique("Automatic reply: away"),
        ticket["source_email"],
        in_reply_to=(first["message_id"],),
        automatic_reply=True,
    )

    await publish_mail(js, out_of_office)
    threaded = await tickets.wait_for_interactions(ticket["id"], 2)

    automatic = threaded["interactions"][1]
    assert automatic["message_id"] == out_of_office.message_id
    assert automatic["type"] == "EMAIL_INBOUND"
    assert automatic["customer_visible"] is False
    assert threaded["interactions"][0]["customer_visible"] is True
    assert threaded["status"] == "Open"
