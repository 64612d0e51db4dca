"""Inbound mail and SLA targets delivered twice, at once, or out of order over JetStream."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import msgspec
from nats.js import JetStreamContext

from helpdesk_contracts import streams, subjects
from helpdesk_contracts.messages import InboundEmailReceived, SlaTargetsSet
from tests.support.servers import wait_until
from tests.ticket_service.helpers import (
    TicketsApi,
    inbound_mail,
    open_ticket,
    publish,
    publish_mail,
    unique,
    without_system,
)
from ticket_service.consumers import INBOUND_CONSUMER, SLA_CONSUMER


def copy_of(message: InboundEmailReceived) -> InboundEmailReceived:
    """Return the same mail as a new event: a new event id, so a new Nats-Msg-Id."""
    return msgspec.structs.replace(message, id=uuid.uuid4(), raw_message_id=uuid.uuid4())


async def consumer_idle(js: JetStreamContext, stream: str, consumer: str) -> None:
    """Wait until the consumer has handled and acknowledged every published message."""

    async def idle() -> bool:
        info = await js.consumer_info(stream, consumer)
        return info.num_pending == 0 and info.num_ack_pending == 0

    await wait_until(idle)


async def test_duplicate_first_mail_opens_one_ticket(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    sender = f"{uuid.uuid4().hex[:8]}@customer.test"
    messages = [inbound_mail(unique("Twice delivered"), sender) for _ in range(5)]

    # Both copies of each mail go out back to back, so they usually land in one pull
    # batch and are handled at the same time, as two replicas would.
    for message in messages:
        await publish_mail(js, message)
        await publish_mail(js, copy_of(message))
    await consumer_idle(js, streams.MAIL.name, INBOUND_CONSUMER)

    for message in messages:
        ticket = await tickets.wait_for_subject(message.subject)
        assert [i["message_id"] for i in without_system(ticket["interactions"])] == [
            message.message_id
        ]
        assert ticket["version"] == 1


async def test_duplicate_reply_adds_one_interaction(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket = await open_ticket(tickets, js)
    first_id = ticket["email_thread_id"]
    reply = inbound_mail(
        unique("Re: twice"), ticket["source_email"], in_reply_to=(first_id,), references=(first_id,)
    )

    await asyncio.gather(publish_mail(js, reply), publish_mail(js, copy_of(reply)))
    await consumer_idle(js, streams.MAIL.name, INBOUND_CONSUMER)
    final = await tickets.detail(ticket["id"])
    inbound_ids = [i["message_id"] for i in without_system(final["interactions"])]

    assert inbound_ids == [first_id, reply.message_id]
    assert final["version"] == ticket["version"] + 1


async def test_thread_in_reverse_order_is_one_ticket(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    sender = f"{uuid.uuid4().hex[:8]}@customer.test"
    root = inbound_mail(unique("Reverse order"), sender)
    first_reply = inbound_mail(
        unique("Re: reverse order"),
        sender,
        in_reply_to=(root.message_id,),
        references=(root.message_id,),
    )
    second_reply = inbound_mail(
        unique("Re: Re: reverse order"),
        sender,
        in_reply_to=(first_reply.message_id,),
        references=(root.message_id, first_reply.message_id),
    )

    for message in (second_reply, first_reply, root):
        await publish_mail(js, message)
        await consumer_idle(js, streams.MAIL.name, INBOUND_CONSUMER)
    ticket = await tickets.wait_for_subject(second_reply.subject)
    detail = await tickets.wait_for_interactions(ticket["id"], 3)

    assert [i["message_id"] for i in detail["interactions"]] == [
        second_reply.message_id,
        first_reply.message_id,
        root.message_id,
    ]
    assert detail["email_thread_id"] == root.message_id
    assert await tickets.with_subject(first_reply.subject) is None
    assert await tickets.with_subject(root.subject) is None


async def test_parent_only_replies_before_root_one_ticket(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    # Some clients set only In-Reply-To. The reply to the reply arrives first and names
    # only its parent, so the ticket starts with the parent as its thread root; the
    # parent names the real root, which the ticket then takes over.
    sender = f"{uuid.uuid4().hex[:8]}@customer.test"
    root = inbound_mail(unique("Parent only"), sender)
    parent = inbound_mail(
        unique("Re: parent only"),
        sender,
        in_reply_to=(root.message_id,),
        references=(root.message_id,),
    )
    child = inbound_mail(unique("Re: Re: parent only"), sender, in_reply_to=(parent.message_id,))

    for message in (child, parent, root):
        await publish_mail(js, message)
        await consumer_idle(js, streams.MAIL.name, INBOUND_CONSUMER)
    ticket = await tickets.wait_for_subject(child.subject)
    detail = await tickets.wait_for_interactions(ticket["id"], 3)

    assert [i["message_id"] for i in detail["interactions"]] == [
        child.message_id,
        parent.message_id,
        root.message_id,
    ]
    assert detail["email_thread_id"] == root.message_id
    assert await tickets.with_subject(root.subject) is None


async def test_sla_targets_in_reverse_order_keep_newest(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket = await open_ticket(tickets, js)
    ticket_id = uuid.UUID(ticket["id"])
    start = datetime.now(UTC).replace(microsecond=0)
    versions = range(6, 1, -1)
    targets = [
        SlaTargetsSet(
            ticket_id=ticket_id,
            ticket_version=version,
            policy_name=f"policy for version {version}",
            first_response_due=start + timedelta(hours=version),
            resolution_due=start + timedelta(days=version),
        )
        for version in versions
    ]

    # Newest first and back to back: the stale ones may be handled before, after or at
    # the same time as the newest, and none of them may overwrite it.
    for event in targets:
        await publish(js, subjects.SLA_TARGETS_SET, event)
    await consumer_idle(js, streams.SLA_EVENTS.name, SLA_CONSUMER)
    final = await tickets.detail(ticket["id"])

    assert datetime.fromisoformat(final["due_date"]) == start + timedelta(days=6)
    assert datetime.fromisoformat(final["first_response_due"]) == start + timedelta(hours=6)
