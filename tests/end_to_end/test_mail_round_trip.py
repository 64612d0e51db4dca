"""Mail in, ticket out, reply back: every service on real NATS and PostgreSQL."""

import asyncio
import email
import email.policy
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.end_to_end.stack import SUPPORT_ADDRESS, Stack, running_stack
from tests.support.servers import wait_until


@pytest.fixture(scope="module")
async def stack(
    nats_url: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    async with running_stack(nats_url, database_url, tmp_path_factory.mktemp("stack")) as running:
        yield running


def customer_mail(sender: str, subject: str, body: str, **headers: str) -> tuple[bytes, str]:
    message = EmailMessage()
    # As long as real Outlook and Gmail ids, which exceed a 78-character header line.
    message_id = f"<{uuid.uuid4().hex}.{uuid.uuid4().hex}@mail.customer.example.test>"
    message["From"] = f"Jane Roe <{sender}>"
    message["To"] = SUPPORT_ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Fri, 04 Dec 2026 10:00:00 +0000"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes(policy=email.policy.SMTP), message_id.strip("<>")


async def ticket_with_subject(client: httpx.AsyncClient, subject: str) -> dict[str, Any] | None:
    response = await client.get("/tickets", params={"limit": 200})
    assert response.status_code == 200, response.text
    for ticket in response.json()["items"]:
        if ticket["subject"] == subject:
            return dict(ticket)
    return None


def sent_messages(sink_dir: Path) -> list[tuple[bytes, email.message.EmailMessage]]:
    """Return each message the mail sink stored, as raw bytes and parsed."""
    if not sink_dir.exists():
        return []
    messages = []
    for path in sorted(sink_dir.glob("*.eml")):
        raw = path.read_bytes()
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        messages.append((raw, parsed))
    return messages  # type: ignore[return-value]


async def test_mail_round_trip(stack: Stack) -> None:
    domain = f"acme-{uuid.uuid4().hex[:6]}.test"
    tickets = httpx.AsyncClient(base_url=stack.tickets_url, timeout=10, headers=stack.agent_headers)
    customers = httpx.AsyncClient(base_url=stack.customers_url, timeout=10)
    created = await customers.post(
        "/customers", json={"name": "Acme Corp", "tier": "Enterprise", "domains": [domain]}
    )
    assert created.status_code == 201, created.text
    customer_id = created.json()["id"]

    # 1. A customer writes in over SMTP.
    subject = f"Printer on fire {uuid.uuid4().hex[:6]}"
    raw, first_id = customer_mail(f"jane@{domain}", subject, "It is on fire. Please help.")
    await asyncio.to_thread(stack.send_mail, raw, f"jane@{domain}")

    async def enriched_ticket() -> dict[str, Any] | None:
        ticket = await ticket_with_subject(tickets, subject)
        if ticket is None or ticket.get("due_date") is None:
            return None
        return ticket

    listed = await wait_until(enriched_ticket, timeout=20)
    detail = (await tickets.get(f"/tickets/{listed['id']}")).json()
    assert detail["source"] == "email"
    assert detail["source_email"] == f"jane@{domain}"
    assert detail["email_thread_id"] == first_id
    assert detail["customer"]["id"] == customer_id
    assert detail["customer"]["tier"] == "Enterprise"
    assert detail["primary_contact_id"] is not None
    assert detail["primary_contact_id"] in detail["contact_ids"]
    assert detail["first_response_at"] is None
    assert [i["type"] for i in detail["interactions"]] == ["EMAIL_INBOUND"]

    # 2. An agent replies; the gateway sends it over SMTP with threading headers.
    reply = await tickets.post(
        f"/tickets/{listed['id']}/replies",
        json={"text": "We are sending the fire brigade."},
    )
    assert reply.status_code == 201, reply.text

    async def one_sent() -> list[tuple[bytes, email.message.EmailMessage]]:
        found = await asyncio.to_thread(sent_messages, stack.sink_dir)
        return [(raw, m) for raw, m in found if subject in str(m["Subject"])]

    raw_sent, sent = (await wait_until(one_sent, timeout=20))[0]
    raw_headers = raw_sent.split(b"\r\n\r\n", 1)[0]
    assert f"In-Reply-To: <{first_id}>".encode() in raw_headers
    assert b"=?utf-8?q?=3c" not in raw_headers.lower()
    outbound_id = str(sent["Message-ID"]).strip().strip("<>")
    assert str(sent["In-Reply-To"]).strip() == f"<{first_id}>"
    assert f"<{first_id}>" in str(sent["References"])
    assert str(sent["To"]).endswith(f"jane@{domain}>") or str(sent["To"]) == f"jane@{domain}"
    assert outbound_id != first_id

    after_reply = (await tickets.get(f"/tickets/{listed['id']}")).json()
    assert after_reply["first_response_at"] is not None

    # 3. The customer replies to that email: it threads onto the same ticket.
    answer, _ = customer_mail(
        f"jane@{domain}",
        f"Re: {sent['Subject']}",
        "Thanks, the fire is out.",
        In_Reply_To=f"<{outbound_id}>",
        References=f"<{first_id}> <{outbound_id}>",
    )
    await asyncio.to_thread(stack.send_mail, answer, f"jane@{domain}")

    async def three_interactions() -> dict[str, Any] | None:
        body = (await tickets.get(f"/tickets/{listed['id']}")).json()
        return body if len(body["interactions"]) == 3 else None

    threaded = await wait_until(three_interactions, timeout=20)
    types = [i["type"] for i in threaded["interactions"]]
    assert types == ["EMAIL_INBOUND", "EMAIL_OUTBOUND", "EMAIL_INBOUND"]
    assert await ticket_count_with_subject_prefix(tickets, subject) == 1

    # 4. Resolving stamps resolved_at.
    resolved = await tickets.patch(f"/tickets/{listed['id']}", json={"status": "Resolved"})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolved_at"] is not None
    assert resolved.json()["status"] == "Resolved"

    await tickets.aclose()
    await customers.aclose()


async def ticket_count_with_subject_prefix(client: httpx.AsyncClient, subject: str) -> int:
    response = await client.get("/tickets", params={"limit": 200})
    return sum(1 for t in response.json()["items"] if subject in t["subject"])


async def test_unparseable_mail_is_quarantined(stack: Stack) -> None:
    reply = await asyncio.to_thread(stack.send_mail, b"Subject: no sender at all\r\n\r\nhello\r\n")

    async with httpx.AsyncClient(base_url=stack.gateway_url) as client:
        quarantined = (await client.get("/quarantine")).json()

    assert "quarantined" in reply
    reasons = [entry["reason"] for entry in quarantined]
    assert any("sender" in reason for reason in reasons)
