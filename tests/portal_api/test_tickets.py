"""Ticket pages, replies, uploads and downloads, each checked against another customer."""

import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from helpdesk_runtime.blobs import BlobStore
from tests.portal_api.support import (
    AccountMailbox,
    Customer,
    csrf_token,
    new_client,
    new_customer_contact,
    post_form,
    sign_in_by_link,
    submit_ticket,
)
from tests.ticket_service.helpers import TicketsApi, unique
from tests.ticket_service.portal_support import attachment_info, insert_interaction


@dataclass
class SignedIn:
    customer: Customer
    client: httpx.AsyncClient


@dataclass
class OwnTicket:
    """A ticket of the first customer with a visible attachment and a hidden note."""

    number: int
    ticket_id: str
    visible_digest: str
    hidden_digest: str
    hidden_text: str
    hidden_interaction_id: str


@pytest.fixture(scope="module")
async def alice(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> AsyncIterator[SignedIn]:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as client:
        await sign_in_by_link(client, mailbox, customer.address)
        yield SignedIn(customer, client)


@pytest.fixture(scope="module")
async def bob(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> AsyncIterator[SignedIn]:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as client:
        await sign_in_by_link(client, mailbox, customer.address)
        yield SignedIn(customer, client)


@pytest.fixture(scope="module")
async def alice_ticket(
    alice: SignedIn, tickets: TicketsApi, database_url: str, blob_dir: Path
) -> OwnTicket:
    visible = b"visible attachment " + uuid.uuid4().bytes
    number = await submit_ticket(
        alice.client,
        unique("Printer on fire"),
        files=[("attachments", ("photo.png", visible, "image/png"))],
    )
    detail = (await tickets.client.get(f"/tickets/by-number/{number}")).json()
    hidden = b"internal attachment " + uuid.uuid4().bytes
    hidden_text = f"internal remark {uuid.uuid4().hex}"
    # The hidden file is in the blob store too, so only the visibility check can deny it.
    BlobStore(blob_dir).put(hidden)
    await insert_interaction(
        database_url,
        uuid.UUID(detail["id"]),
        "INTERNAL_NOTE",
        customer_visible=False,
        text_body=hidden_text,
        attachments=(attachment_info(hidden, "secret.pdf"),),
    )
    refreshed = (await tickets.client.get(f"/tickets/{detail['id']}")).json()
    [note] = [i for i in refreshed["interactions"] if i["text_body"] == hidden_text]
    return OwnTicket(
        number=number,
        ticket_id=detail["id"],
        visible_digest=hashlib.sha256(visible).hexdigest(),
        hidden_digest=hashlib.sha256(hidden).hexdigest(),
        hidden_text=hidden_text,
        hidden_interaction_id=note["id"],
    )


async def test_own_ticket_page_shows_visible_only(alice: SignedIn, alice_ticket: OwnTicket) -> None:
    page = await alice.client.get(f"/tickets/{alice_ticket.number}")
    api = await alice.client.get(f"/api/tickets/{alice_ticket.number}")

    assert page.status_code == 200
    assert "Printer on fire" in page.text
    assert f"/attachments/{alice_ticket.visible_digest}" in page.text
    assert alice_ticket.hidden_text not in page.text
    assert alice_ticket.hidden_digest not in page.text
    assert alice_ticket.hidden_interaction_id not in page.text
    assert api.status_code == 200
    assert alice_ticket.hidden_text not in api.text
    assert alice_ticket.hidden_interaction_id not in api.text


async def test_visible_attachment_downloads(alice: SignedIn, alice_ticket: OwnTicket) -> None:
    response = await alice.client.get(
        f"/tickets/{alice_ticket.number}/attachments/{alice_ticket.visible_digest}"
    )

    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == alice_ticket.visible_digest
    assert response.headers["content-disposition"].startswith("attachment;")
    assert 'filename="photo.png"' in response.headers["content-disposition"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_hidden_attachment_is_404_for_owner(alice: SignedIn, alice_ticket: OwnTicket) -> None:
    response = await alice.client.get(
        f"/tickets/{alice_ticket.number}/attachments/{alice_ticket.hidden_digest}"
    )

    assert response.status_code == 404


async def test_other_customer_gets_404_everywhere(bob: SignedIn, alice_ticket: OwnTicket) -> None:
    number = alice_ticket.number
    token = await csrf_token(bob.client)
    gets = [
        f"/tickets/{number}",
        f"/tickets/{number}/attachments/{alice_ticket.visible_digest}",
        f"/tickets/{number}/attachments/{alice_ticket.hidden_digest}",
        f"/live/tickets/{number}",
        f"/api/tickets/{number}",
    ]
    for path in gets:
        response = await bob.client.get(path)
        assert response.status_code == 404, path
        assert "Printer on fire" not in response.text, path

    page_reply = await post_form(bob.client, f"/tickets/{number}/replies", {"text_body": "Mine?"})
    api_reply = await bob.client.post(
        f"/api/tickets/{number}/replies",
        json={"text_body": "Mine?"},
        headers={"x-csrftoken": token},
    )
    listed = await bob.client.get("/api/tickets")

    assert page_reply.status_code == 404
    assert api_reply.status_code == 404
    assert listed.status_code == 200
    assert all(ticket["number"] != number for ticket in listed.json()["tickets"])


async def test_missing_ticket_is_404(bob: SignedIn) -> None:
    missing = 99_999_999
    page = await bob.client.get(f"/tickets/{missing}")
    api = await bob.client.get(f"/api/tickets/{missing}")
    attachment = await bob.client.get(f"/tickets/{missing}/attachments/{'0' * 64}")
    malformed = await bob.client.get(f"/tickets/{missing}/attachments/not-a-digest")

    assert page.status_code == 404
    assert "Not found" in page.text
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")
    assert attachment.status_code == 404
    assert malformed.status_code == 404


async def test_reply_with_attachment(
    alice: SignedIn, alice_ticket: OwnTicket, tickets: TicketsApi
) -> None:
    content = b"log file " + uuid.uuid4().bytes
    text = f"Here is the log {uuid.uuid4().hex[:6]}"

    response = await post_form(
        alice.client,
        f"/tickets/{alice_ticket.number}/replies",
        {"text_body": text},
        files=[("attachments", ("app.log", content, "text/plain"))],
    )

    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/tickets/{alice_ticket.number}#interaction-")
    page = await alice.client.get(f"/tickets/{alice_ticket.number}")
    assert text in page.text
    assert hashlib.sha256(content).hexdigest() in page.text
    detail = await tickets.detail(alice_ticket.ticket_id)
    [message] = [i for i in detail["interactions"] if i["text_body"] == text]
    assert message["type"] == "PORTAL_MESSAGE"


async def test_upload_limits(alice: SignedIn, alice_ticket: OwnTicket) -> None:
    path = f"/tickets/{alice_ticket.number}/replies"
    too_many = await post_form(
        alice.client,
        path,
        {"text_body": "Many files"},
        files=[("attachments", (f"f{i}.txt", b"x", "text/plain")) for i in range(4)],
    )
    too_large = await post_form(
        alice.client,
        path,
        {"text_body": "Large file"},
        files=[("attachments", ("big.bin", b"x" * (64 * 1024 + 1), "application/octet-stream"))],
    )
    empty = await post_form(alice.client, path, {"text_body": "  "})

    assert too_many.status_code == 400
    assert "Attach at most 3 files." in too_many.text
    assert too_large.status_code == 400
    assert "big.bin is larger than the limit" in too_large.text
    assert empty.status_code == 400
    assert "Write a message or attach a file." in empty.text


async def test_list_filters_search_and_pages(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox, tickets: TicketsApi
) -> None:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as client:
        await sign_in_by_link(client, mailbox, customer.address)
        marker = uuid.uuid4().hex[:8]
        numbers = [await submit_ticket(client, f"Issue {marker} {index}") for index in range(3)]
        other = await submit_ticket(client, "Unrelated question")
        resolved = (await tickets.client.get(f"/tickets/by-number/{numbers[0]}")).json()
        changed = await tickets.patch(resolved["id"], {"status": "Resolved"})
        assert changed.status_code == 200, changed.text

        searched = await client.get("/tickets", params={"q": marker})
        done = await client.get("/api/tickets", params={"status": "done"})
        first_page = await client.get("/api/tickets")
        cursor = first_page.json()["next_cursor"]
        second_page = await client.get("/api/tickets", params={"after": cursor})
        html_first = await client.get("/tickets")

    assert searched.status_code == 200
    for number in numbers:
        assert f'href="/tickets/{number}"' in searched.text
    assert f'href="/tickets/{other}"' not in searched.text
    assert [ticket["number"] for ticket in done.json()["tickets"]] == [numbers[0]]
    # The portal in these tests shows 25 per page; four tickets fit on one.
    assert len(first_page.json()["tickets"]) == 4
    assert set(first_page.json()) == {"tickets", "next_cursor"}
    assert cursor is None
    assert second_page.status_code == 200
    assert 'rel="next"' not in html_first.text


async def test_api_input_errors_name_the_field(alice: SignedIn, alice_ticket: OwnTicket) -> None:
    token = await csrf_token(alice.client)
    bad_status = await alice.client.get("/api/tickets", params={"status": "everything"})
    missing_text = await alice.client.post(
        f"/api/tickets/{alice_ticket.number}/replies",
        json={"text": "wrong key"},
        headers={"x-csrftoken": token},
    )
    created = await alice.client.post(
        f"/api/tickets/{alice_ticket.number}/replies",
        json={"text_body": "Sent from a script"},
        headers={"x-csrftoken": token},
    )

    assert bad_status.status_code == 400
    assert bad_status.headers["content-type"].startswith("application/problem+json")
    assert bad_status.json()["errors"][0]["field"] == "$.status"
    assert missing_text.status_code == 400
    fields = {error["field"] for error in missing_text.json()["errors"]}
    assert fields & {"$.text", "$.text_body"}
    assert created.status_code == 201
    assert re.fullmatch(r"[0-9a-f-]{36}", created.json()["interaction_id"])


async def test_api_creates_ticket(alice: SignedIn, tickets: TicketsApi) -> None:
    token = await csrf_token(alice.client)
    form = await tickets.client.post(
        "/intake-forms",
        json={
            "name": unique("API form"),
            "fields": [{"key": "serial", "label": "Serial", "type": "text", "required": True}],
        },
    )
    assert form.status_code == 201, form.text
    headers = {"x-csrftoken": token}
    subject = unique("Created by script")

    created = await alice.client.post(
        "/api/tickets", json={"subject": subject, "text_body": "Hello"}, headers=headers
    )
    missing_answer = await alice.client.post(
        "/api/tickets",
        json={
            "subject": subject,
            "text_body": "Serial is missing",
            "form_id": form.json()["id"],
            "form_values": {},
        },
        headers=headers,
    )
    missing_subject = await alice.client.post(
        "/api/tickets", json={"text_body": "No subject"}, headers=headers
    )

    assert created.status_code == 201, created.text
    shown = await alice.client.get(f"/api/tickets/{created.json()['number']}")
    assert shown.json()["subject"] == subject
    assert missing_answer.status_code == 400
    assert missing_answer.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in missing_answer.json()["errors"]] == ["$.form_values.serial"]
    assert missing_subject.status_code == 400
    assert missing_subject.json()["errors"][0]["field"] == "$.subject"
