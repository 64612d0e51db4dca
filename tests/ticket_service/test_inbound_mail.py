"""Inbound mail over JetStream becomes tickets and threads onto them."""

import uuid
from typing import Any

import httpx
from nats.js import JetStreamContext

from helpdesk_contracts import streams
from tests.support.servers import wait_until
from tests.ticket_service.helpers import (
    MAIL_DOMAIN,
    TicketsApi,
    inbound_mail,
    new_message_id,
    publish_mail,
    unique,
    without_system,
)
from ticket_service.consumers import INBOUND_CONSUMER


async def create_customer(customer_api: httpx.AsyncClient, tier: str) -> tuple[str, str]:
    domain = f"acme-{uuid.uuid4().hex[:8]}.test"
    response = await customer_api.post(
        "/customers", json={"name": "Acme Corp", "tier": tier, "domains": [domain]}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], domain


async def open_ticket(
    tickets: TicketsApi, js: JetStreamContext, sender: str = ""
) -> tuple[dict[str, Any], str]:
    """Publish a first message and return the ticket it opened and its Message-ID."""
    subject = unique("Printer jammed")
    message = inbound_mail(subject, sender or f"{uuid.uuid4().hex[:8]}@customer.test")
    await publish_mail(js, message)
    return await tickets.wait_for_subject(subject), message.message_id


async def test_new_mail_opens_enriched_ticket(
    tickets: TicketsApi, customer_api: httpx.AsyncClient, js: JetStreamContext
) -> None:
    customer_id, domain = await create_customer(customer_api, "Enterprise")
    subject = unique("Printer on fire")
    message = inbound_mail(subject, f"jane@{domain}", name="Jane Roe", text="It burns.")

    await publish_mail(js, message)
    ticket = await tickets.wait_for_subject(subject)

    assert ticket["status"] == "Open"
    assert ticket["priority"] == "Medium"
    assert ticket["source"] == "email"
    assert ticket["source_email"] == f"jane@{domain}"
    assert ticket["email_thread_id"] == message.message_id
    assert ticket["enrichment_pending"] is False
    assert ticket["version"] == 1
    assert ticket["customer"]["id"] == customer_id
    assert ticket["customer"]["name"] == "Acme Corp"
    assert ticket["customer"]["tier"] == "Enterprise"
    assert ticket["customer_tier"] == "Enterprise"
    assert ticket["primary_contact_id"] is not None
    assert ticket["contact_ids"] == [ticket["primary_contact_id"]]
    assert ticket["customer"]["primary_contact_id"] == ticket["primary_contact_id"]
    [interaction] = ticket["interactions"]
    assert interaction["type"] == "EMAIL_INBOUND"
    assert interaction["customer_visible"] is True
    assert interaction["message_id"] == message.message_id
    assert interaction["text_body"] == "It burns."
    assert interaction["email_from"] == {"address": f"jane@{domain}", "name": "Jane Roe"}


async def test_ticket_found_by_number(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket, _ = await open_ticket(tickets, js)

    response = await tickets.client.get(f"/tickets/by-number/{ticket['number']}")

    assert response.status_code == 200
    assert response.json()["id"] == ticket["id"]
    assert response.headers["etag"] == '"1"'


async def test_in_reply_to_threads_onto_ticket(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket, first_id = await open_ticket(tickets, js)
    reply = inbound_mail(
        unique("Re: something else entirely"),
        ticket["source_email"],
        in_reply_to=(first_id,),
    )

    await publish_mail(js, reply)
    threaded = await tickets.wait_for_interactions(ticket["id"], 2)

    assert [i["message_id"] for i in threaded["interactions"]] == [first_id, reply.message_id]
    assert threaded["version"] == 2
    assert await tickets.with_subject(reply.subject) is None


async def test_references_only_threads(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket, first_id = await open_ticket(tickets, js)
    unknown_id = new_message_id()
    reply = inbound_mail(
        unique("Re: references only"),
        ticket["source_email"],
        references=(first_id, unknown_id),
    )

    await publish_mail(js, reply)
    threaded = await tickets.wait_for_interactions(ticket["id"], 2)

    assert threaded["interactions"][1]["message_id"] == reply.message_id
    assert await tickets.with_subject(reply.subject) is None


async def test_own_message_id_format_threads_without_index(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket, _ = await open_ticket(tickets, js)
    never_indexed = f"ticket.{ticket['id']}.{uuid.uuid4()}@{MAIL_DOMAIN}"
    reply = inbound_mail(
        unique("Re: lost reply"), "someone-else@customer.test", in_reply_to=(never_indexed,)
    )

    await publish_mail(js, reply)
    threaded = await tickets.wait_for_interactions(ticket["id"], 2)

    assert threaded["interactions"][1]["message_id"] == reply.message_id


async def test_own_format_on_other_domain_ignored(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket, _ = await open_ticket(tickets, js)
    foreign = f"ticket.{ticket['id']}.{uuid.uuid4()}@elsewhere.test"
    message = inbound_mail(
        unique("Re: foreign id"), "someone-else@customer.test", in_reply_to=(foreign,)
    )

    await publish_mail(js, message)
    opened = await tickets.wait_for_subject(message.subject)

    assert opened["id"] != ticket["id"]
    assert opened["email_thread_id"] == foreign


async def test_subject_tag_from_same_sender_threads(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket, _ = await open_ticket(tickets, js)
    tagged = inbound_mail(
        unique(f"New question about [#{ticket['number']}]"), ticket["source_email"].upper()
    )

    await publish_mail(js, tagged)
    threaded = await tickets.wait_for_interactions(ticket["id"], 2)

    assert threaded["interactions"][1]["message_id"] == tagged.message_id
    assert await tickets.with_subject(tagged.subject) is None


async def test_subject_tag_from_stranger_opens_ticket(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket, _ = await open_ticket(tickets, js)
    quoting = inbound_mail(unique(f"I saw [#{ticket['number']}] too"), "stranger@elsewhere.test")

    await publish_mail(js, quoting)
    opened = await tickets.wait_for_subject(quoting.subject)

    assert opened["id"] != ticket["id"]
    assert opened["source_email"] == "stranger@elsewhere.test"
    assert len((await tickets.detail(ticket["id"]))["interactions"]) == 1


async def test_duplicate_message_id_adds_nothing(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket, first_id = await open_ticket(tickets, js)
    duplicate = inbound_mail(ticket["subject"], ticket["source_email"], message_id=first_id)
    # A later message on the same thread shows that the consumer got past the duplicate.
    sentinel = inbound_mail(unique("Re: sentinel"), ticket["source_email"], in_reply_to=(first_id,))

    await publish_mail(js, duplicate)
    await publish_mail(js, sentinel)
    threaded = await tickets.wait_for_interactions(ticket["id"], 2)

    async def all_acknowledged() -> bool:
        info = await js.consumer_info(streams.MAIL.name, INBOUND_CONSUMER)
        return info.num_ack_pending == 0

    # A duplicate that failed instead of being acknowledged would stay pending for retry.
    await wait_until(all_acknowledged)
    message_ids = [i["message_id"] for i in threaded["interactions"]]
    assert message_ids == [first_id, sentinel.message_id]
    assert threaded["version"] == 2


async def test_reply_before_root_joins_ticket(tickets: TicketsApi, js: JetStreamContext) -> None:
    sender = f"{uuid.uuid4().hex[:8]}@customer.test"
    root = inbound_mail(unique("Root arrives late"), sender)
    reply = inbound_mail(unique("Re: root arrives late"), sender, references=(root.message_id,))

    await publish_mail(js, reply)
    ticket = await tickets.wait_for_subject(reply.subject)
    await publish_mail(js, root)
    threaded = await tickets.wait_for_interactions(ticket["id"], 2)

    assert ticket["email_thread_id"] == root.message_id
    assert threaded["interactions"][1]["message_id"] == root.message_id
    assert await tickets.with_subject(root.subject) is None


async def test_customer_reply_reopens_waiting_ticket(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket, first_id = await open_ticket(tickets, js)
    waiting = await tickets.patch(ticket["id"], {"status": "Waiting on Customer"})
    assert waiting.status_code == 200, waiting.text

    reply = inbound_mail(unique("Re: here it is"), ticket["source_email"], in_reply_to=(first_id,))
    await publish_mail(js, reply)
    threaded = await tickets.wait_for_interactions(ticket["id"], 2)

    assert threaded["status"] == "Open"


async def test_customer_reply_reopens_resolved_ticket(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket, first_id = await open_ticket(tickets, js)
    resolved = await tickets.patch(ticket["id"], {"status": "Resolved"})
    assert resolved.json()["resolved_at"] is not None

    reply = inbound_mail(unique("Re: not fixed"), ticket["source_email"], in_reply_to=(first_id,))
    await publish_mail(js, reply)
    threaded = await tickets.wait_for_interactions(ticket["id"], 2)

    assert threaded["status"] == "Open"
    assert threaded["resolved_at"] is None


async def test_auto_reply_keeps_status(tickets: TicketsApi, js: JetStreamContext) -> None:
    ticket, first_id = await open_ticket(tickets, js)
    await tickets.patch(ticket["id"], {"status": "Waiting on Customer"})

    out_of_office = inbound_mail(
        unique("Out of office"),
        ticket["source_email"],
        in_reply_to=(first_id,),
        auto_submitted=True,
    )
    await publish_mail(js, out_of_office)
    threaded = await tickets.wait_for_interactions(ticket["id"], 2)

    assert threaded["status"] == "Waiting on Customer"


async def test_reply_to_closed_ticket_opens_follow_up(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket, first_id = await open_ticket(tickets, js)
    closed = await tickets.patch(ticket["id"], {"status": "Closed"})
    assert closed.status_code == 200, closed.text

    late = inbound_mail(
        unique("Re: one more thing"), ticket["source_email"], in_reply_to=(first_id,)
    )
    await publish_mail(js, late)
    follow_up = await tickets.wait_for_subject(late.subject)
    later = inbound_mail(
        unique("Re: and another"), ticket["source_email"], references=(first_id, late.message_id)
    )
    await publish_mail(js, later)
    threaded = await tickets.wait_for_interactions(follow_up["id"], 2)

    assert follow_up["follow_up_of"] == ticket["id"]
    assert follow_up["status"] == "Open"
    assert threaded["interactions"][1]["message_id"] == later.message_id
    original = await tickets.detail(ticket["id"])
    assert original["status"] == "Closed"
    assert len(without_system(original["interactions"])) == 1


async def test_old_reference_to_closed_ticket_reaches_follow_up(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket, first_id = await open_ticket(tickets, js)
    await tickets.patch(ticket["id"], {"status": "Closed"})
    late = inbound_mail(
        unique("Re: reopen please"), ticket["source_email"], in_reply_to=(first_id,)
    )
    await publish_mail(js, late)
    follow_up = await tickets.wait_for_subject(late.subject)

    # Replying to the original message again must not open a second follow-up.
    again = inbound_mail(unique("Re: still"), ticket["source_email"], in_reply_to=(first_id,))
    await publish_mail(js, again)
    threaded = await tickets.wait_for_interactions(follow_up["id"], 2)

    assert threaded["interactions"][1]["message_id"] == again.message_id
    assert await tickets.with_subject(again.subject) is None
