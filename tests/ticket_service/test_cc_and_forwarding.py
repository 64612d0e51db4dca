"""Cc'd people on a ticket's thread, and mail forwarded into support."""

import uuid
from typing import Any

import msgspec
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import EmailAddress, InboundEmailReceived, OutboundEmailRequested
from tests.ticket_service.helpers import (
    MAIL_DOMAIN,
    SUPPORT_ADDRESS,
    Collector,
    TicketsApi,
    collect,
    events_for,
    inbound_mail,
    publish_mail,
    unique,
)
from ticket_service.participants import forwarded_sender


def with_recipients(
    message: InboundEmailReceived, to: list[str] | None = None, cc: list[str] | None = None
) -> InboundEmailReceived:
    return msgspec.structs.replace(
        message,
        to=tuple(EmailAddress(address=address) for address in (to or [SUPPORT_ADDRESS])),
        cc=tuple(EmailAddress(address=address, name="Copied") for address in cc or []),
    )


def addresses(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["address"] for entry in entries]


@pytest.fixture
async def outbound(nats_connection: NatsClient) -> Collector:
    return await collect(nats_connection, subjects.MAIL_OUTBOUND_REQUESTED, OutboundEmailRequested)


async def test_cc_people_get_agent_replies(
    tickets: TicketsApi, js: JetStreamContext, outbound: Collector
) -> None:
    domain = f"cust-{uuid.uuid4().hex[:6]}.test"
    customer = f"jane@{domain}"
    first = with_recipients(
        inbound_mail(unique("Cc first"), customer),
        to=[SUPPORT_ADDRESS, f"boss@{domain}"],
        cc=[f"colleague@{domain}", f"agent@{MAIL_DOMAIN}", "Other.Desk@TICKETS.TEST", customer],
    )

    await publish_mail(js, first)
    ticket = await tickets.wait_for_subject(first.subject)
    reply = await tickets.reply(ticket["id"], "We are looking into it.")
    [sent] = await events_for(outbound, ticket["id"], 1)

    assert reply.status_code == 201, reply.text
    assert addresses(ticket["cc_recipients"]) == [f"boss@{domain}", f"colleague@{domain}"]
    assert [to.address for to in sent.to] == [customer]
    assert [cc.address for cc in sent.cc] == [f"boss@{domain}", f"colleague@{domain}"]
    assert addresses(reply.json()["email_cc"]) == [f"boss@{domain}", f"colleague@{domain}"]


async def test_cc_list_grows_and_skips_agents(
    tickets: TicketsApi, js: JetStreamContext, outbound: Collector
) -> None:
    domain = f"cust-{uuid.uuid4().hex[:6]}.test"
    customer = f"jane@{domain}"
    first = with_recipients(inbound_mail(unique("Cc grows"), customer), cc=[f"a@{domain}"])
    await publish_mail(js, first)
    ticket = await tickets.wait_for_subject(first.subject)
    # An agent with an address outside the support domain, assigned to the ticket.
    ann = {"handle": "ann", "display_name": "Ann", "email": "ann@agency.test"}
    created = await tickets.client.post("/agents", json=ann)
    assert created.status_code in (201, 409), created.text
    assigned = await tickets.client.post(
        f"/tickets/{ticket['id']}/assignees", json={"agent": "ann"}
    )
    assert assigned.status_code == 200, assigned.text

    # The customer drops a@ and copies b@ and the assigned agent: a@ stays, b@ joins,
    # the agent does not.
    second = with_recipients(
        inbound_mail(
            unique("Re: cc grows"),
            customer,
            in_reply_to=(first.message_id,),
            references=(first.message_id,),
        ),
        cc=[f"b@{domain}", "ann@agency.test"],
    )
    await publish_mail(js, second)
    await tickets.wait_for_interactions(ticket["id"], 2)
    # b@ answers the thread himself, copying a new colleague; an out-of-office reply
    # copying someone adds nobody.
    third = with_recipients(
        inbound_mail(
            unique("Re: cc grows"),
            f"b@{domain}",
            in_reply_to=(second.message_id,),
            references=(first.message_id, second.message_id),
        ),
        cc=[customer, f"c@{domain}"],
    )
    automatic = with_recipients(
        inbound_mail(
            unique("Out of office"),
            f"d@{domain}",
            in_reply_to=(second.message_id,),
            auto_submitted=True,
        ),
        cc=[f"e@{domain}"],
    )
    await publish_mail(js, third)
    await publish_mail(js, automatic)
    detail = await tickets.wait_for_interactions(ticket["id"], 4)
    reply = await tickets.reply(ticket["id"], "Fixed.")
    [sent] = await events_for(outbound, ticket["id"], 1)

    assert reply.status_code == 201, reply.text
    expected = [f"a@{domain}", f"b@{domain}", f"c@{domain}"]
    assert addresses(detail["cc_recipients"]) == expected
    assert [cc.address for cc in sent.cc] == expected
    assert [to.address for to in sent.to] == [customer]
    cc_changes = [entry for entry in detail["audit"] if entry["field"] == "cc_recipients"]
    assert [entry["actor"] for entry in cc_changes] == [customer, f"b@{domain}"]


async def test_agent_forward_opens_ticket_for_original_sender(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    original = f"jane-{uuid.uuid4().hex[:6]}@customer.test"
    text = (
        "Please help this customer.\n\n"
        "---------- Forwarded message ---------\n"
        f"From: Jane Roe <{original}>\n"
        "Date: Thu, 3 Dec 2026 at 10:00\n"
        "Subject: Printer on fire\n"
        f"To: <sales@{MAIL_DOMAIN}>\n\n"
        "It burns.\n"
    )
    forward = with_recipients(
        inbound_mail(unique("Fwd: Printer on fire"), f"sales@{MAIL_DOMAIN}", text=text),
        cc=[f"boss@{MAIL_DOMAIN}"],
    )

    await publish_mail(js, forward)
    ticket = await tickets.wait_for_subject(forward.subject)

    assert ticket["source_email"] == original
    assert ticket["primary_contact_id"] is not None
    assert ticket["cc_recipients"] == []
    assert ticket["interactions"][0]["author"] == f"sales@{MAIL_DOMAIN}"


async def test_customer_forward_opens_ticket_for_forwarder(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    forwarder = f"bob-{uuid.uuid4().hex[:6]}@customer.test"
    text = (
        "Is this mail from you?\n\n"
        "Begin forwarded message:\n\n"
        "From: Billing <billing@phish.test>\n"
        "Subject: Your invoice\n\n"
        "Pay now.\n"
    )
    forward = inbound_mail(unique("Fwd: Your invoice"), forwarder, text=text)

    await publish_mail(js, forward)
    ticket = await tickets.wait_for_subject(forward.subject)

    assert ticket["source_email"] == forwarder
    assert ticket["cc_recipients"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "FYI\n\n---------- Forwarded message ---------\nFrom: Jane Roe <jane@a.test>\n",
            ("jane@a.test", "Jane Roe"),
        ),
        (
            "-------- Forwarded Message --------\nSubject: Help\nDate: today\n"
            "From: jane@a.test\nTo: us@b.test\n",
            ("jane@a.test", ""),
        ),
        (
            "See below\n________________________________\n"
            "From: Roe, Jane [mailto:jane@a.test]\nSent: Monday\n",
            ("jane@a.test", "Roe, Jane"),
        ),
        (
            "-----Original Message-----\n*From:* Jane <jane@a.test>\n",
            ("jane@a.test", "Jane"),
        ),
        ('Begin forwarded message:\n\nFrom: "Roe" <jane@a.test>\n', ("jane@a.test", "Roe")),
    ],
)
def test_forwarded_sender_read_from_block(text: str, expected: tuple[str, str]) -> None:
    found = forwarded_sender(text)

    assert found is not None
    assert (found.address, found.name) == expected


@pytest.mark.parametrize(
    "text",
    [
        "From: jane@a.test\nNo forward marker before this line.\n",
        "---------- Forwarded message ---------\nFrom: not an address\n",
        "---------- Forwarded message ---------\n" + "line\n" * 20 + "From: jane@a.test\n",
    ],
)
def test_forwarded_sender_absent(text: str) -> None:
    assert forwarded_sender(text) is None


async def test_merge_copies_requester_into_cc(
    tickets: TicketsApi, js: JetStreamContext, outbound: Collector
) -> None:
    domain = f"cust-{uuid.uuid4().hex[:6]}.test"
    target_mail = inbound_mail(unique("Merge target"), f"first@{domain}")
    source_mail = with_recipients(
        inbound_mail(unique("Merge source"), f"second@{domain}"), cc=[f"third@{domain}"]
    )
    await publish_mail(js, target_mail)
    await publish_mail(js, source_mail)
    target = await tickets.wait_for_subject(target_mail.subject)
    source = await tickets.wait_for_subject(source_mail.subject)

    merged = await tickets.client.post(
        f"/tickets/{source['id']}/merge", json={"into": target["id"]}
    )
    reply = await tickets.reply(target["id"], "Both handled here.")
    [sent] = await events_for(outbound, target["id"], 1)

    assert merged.status_code == 200, merged.text
    assert reply.status_code == 201, reply.text
    assert [to.address for to in sent.to] == [f"first@{domain}"]
    assert [cc.address for cc in sent.cc] == [f"second@{domain}", f"third@{domain}"]
