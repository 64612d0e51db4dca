"""Intake forms on the new-request page and the anonymous web form with its spam checks."""

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from portal_api.spam_guard import sign_start
from tests.portal_api.support import (
    SECRET_KEY,
    AccountMailbox,
    new_client,
    new_customer_contact,
    post_form,
    sign_in_by_link,
    started_long_ago,
)
from tests.ticket_service.helpers import TicketsApi, unique


async def create_form(tickets: TicketsApi, *, anonymous: bool) -> dict[str, Any]:
    body = {
        "name": unique("Billing question"),
        "description": "Questions about invoices and payments.",
        "anonymous": anonymous,
        "fields": [
            {
                "key": "invoice_number",
                "label": "Invoice number",
                "type": "text",
                "required": True,
                "help_text": "Printed at the top right of the invoice.",
            },
            {"key": "amount", "label": "Amount", "type": "number"},
            {
                "key": "plan",
                "label": "Plan",
                "type": "select",
                "options": ["Basic", "Pro"],
            },
            {
                "key": "topics",
                "label": "Topics",
                "type": "multi_select",
                "options": ["Refund", "Tax"],
            },
            {"key": "due", "label": "Due date", "type": "date"},
            {"key": "urgent", "label": "It is urgent", "type": "checkbox"},
            {"key": "details", "label": "Details", "type": "long_text"},
            {"key": "scan", "label": "Scan of the invoice", "type": "file"},
        ],
    }
    response = await tickets.client.post("/intake-forms", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture(scope="module")
async def signed_in(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> AsyncIterator[httpx.AsyncClient]:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as client:
        await sign_in_by_link(client, mailbox, customer.address)
        yield client


async def test_form_fields_rendered_by_type(
    signed_in: httpx.AsyncClient, tickets: TicketsApi
) -> None:
    form = await create_form(tickets, anonymous=False)

    chooser = await signed_in.get("/tickets/new")
    page = await signed_in.get("/tickets/new", params={"form": form["id"]})

    assert form["name"] in chooser.text
    assert page.status_code == 200
    assert '<label for="field_invoice_number">Invoice number' in page.text
    assert 'id="help-invoice_number">Printed at the top right of the invoice.' in page.text
    assert 'aria-describedby="help-invoice_number"' in page.text
    assert '<select id="field_plan" name="field_plan"' in page.text
    assert 'type="checkbox" id="field_topics-1" name="field_topics" value="Refund"' in page.text
    assert 'type="date" id="field_due"' in page.text
    assert 'type="checkbox" id="field_urgent"' in page.text
    assert '<textarea id="field_details"' in page.text
    assert 'type="file" id="field_scan"' in page.text


async def test_field_errors_shown_and_values_kept(
    signed_in: httpx.AsyncClient, tickets: TicketsApi
) -> None:
    form = await create_form(tickets, anonymous=False)
    data = {
        "form_id": form["id"],
        "subject": "Invoice looks wrong",
        "text_body": "See the amount.",
        "field_invoice_number": "",
        "field_amount": "twelve",
        "field_plan": "Pro",
    }

    local = await post_form(signed_in, "/tickets/new", data)
    remote = await post_form(signed_in, "/tickets/new", {**data, "field_amount": "12.5"})

    assert local.status_code == 400
    assert 'id="error-amount">Enter a number' in local.text
    # ticket_service's check of the required field joins the portal's own in one round.
    assert 'id="error-invoice_number"' in local.text
    assert 'value="twelve"' in local.text
    assert 'value="Invoice looks wrong"' in local.text
    assert '<option value="Pro" selected>' in local.text
    # The required field is checked by ticket_service; its error is shown by the field.
    assert remote.status_code == 400
    assert 'id="error-invoice_number"' in remote.text
    assert 'aria-invalid="true"' in remote.text
    assert 'value="12.5"' in remote.text


async def test_form_submission_creates_ticket(
    signed_in: httpx.AsyncClient, tickets: TicketsApi
) -> None:
    form = await create_form(tickets, anonymous=False)
    scan = b"%PDF scan " + uuid.uuid4().bytes
    subject = unique("Invoice 42")

    response = await post_form(
        signed_in,
        "/tickets/new",
        {
            "form_id": form["id"],
            "subject": subject,
            "text_body": "Please check.",
            "field_invoice_number": "INV-42",
            "field_amount": "99",
            "field_topics": ["Refund", "Tax"],
            "field_urgent": "1",
        },
        files=[("field_scan", ("scan.pdf", scan, "application/pdf"))],
    )

    assert response.status_code == 303, response.text
    number = int(response.headers["location"].rsplit("/", 1)[1])
    detail = (await tickets.client.get(f"/tickets/by-number/{number}")).json()
    assert detail["subject"] == subject
    assert detail["source"] == "portal"
    page = await signed_in.get(f"/tickets/{number}")
    assert "INV-42" in page.text
    assert "<dt>Invoice number</dt>" in page.text
    assert "Refund, Tax" in page.text
    shown = [
        label
        for label in ("Invoice number", "Amount", "Topics", "It is urgent")
        if f"<dt>{label}</dt>" in page.text
    ]
    positions = [page.text.index(f"<dt>{label}</dt>") for label in shown]
    assert shown == ["Invoice number", "Amount", "Topics", "It is urgent"]
    assert positions == sorted(positions)


async def test_web_form_creates_ticket(portal_url: str, tickets: TicketsApi) -> None:
    form = await create_form(tickets, anonymous=True)
    hidden_form = await create_form(tickets, anonymous=False)
    subject = unique("Question from the website")
    address = f"visitor-{uuid.uuid4().hex[:8]}@example.test"

    async with new_client(portal_url) as client:
        page = await client.get("/contact")
        sent = await post_form(
            client,
            "/contact",
            {
                "form_id": form["id"],
                "form_started": started_long_ago(),
                "website": "",
                "name": "Vera Visitor",
                "email": address,
                "subject": subject,
                "text_body": "How much is the Pro plan?",
                "field_invoice_number": "none yet",
            },
        )

    assert form["name"] in page.text
    assert hidden_form["name"] not in page.text
    assert sent.status_code == 200, sent.text
    assert "We received your request" in sent.text
    ticket = await tickets.wait_for_subject(subject)
    assert ticket["source"] == "web"


async def test_web_form_honeypot_pretends_success(portal_url: str, tickets: TicketsApi) -> None:
    subject = unique("Cheap watches")
    async with new_client(portal_url) as client:
        sent = await post_form(
            client,
            "/contact",
            {
                "form_started": started_long_ago(),
                "website": "http://spam.example",
                "email": "bot@example.test",
                "subject": subject,
                "text_body": "Buy now",
            },
        )

    assert sent.status_code == 200
    assert "We received your request" in sent.text
    assert await tickets.with_subject(subject) is None


async def test_web_form_too_fast_or_forged(portal_url: str, tickets: TicketsApi) -> None:
    subject = unique("Fast bot")
    base = {"website": "", "email": "fast@example.test", "subject": subject, "text_body": "x"}
    async with new_client(portal_url) as client:
        too_fast = await post_form(
            client, "/contact", {**base, "form_started": sign_start(SECRET_KEY, time.time())}
        )
        forged = await post_form(
            client, "/contact", {**base, "form_started": f"{int(time.time()) - 60}.bad"}
        )

    assert too_fast.status_code == 400
    assert "sent too quickly" in too_fast.text
    assert 'value="fast@example.test"' in too_fast.text
    assert forged.status_code == 400
    assert await tickets.with_subject(subject) is None


async def test_web_form_rate_limited_per_ip(portal_url: str) -> None:
    statuses = []
    async with new_client(portal_url) as client:
        for index in range(6):
            response = await post_form(
                client,
                "/contact",
                {
                    "form_started": started_long_ago(),
                    "website": "",
                    "email": f"many{index}@example.test",
                    "subject": unique("Many requests"),
                    "text_body": "Again",
                },
            )
            statuses.append(response.status_code)

    assert statuses == [200] * 5 + [429]


async def test_web_form_lists_every_mistake(portal_url: str) -> None:
    started = started_long_ago()
    async with new_client(portal_url) as client:
        await client.get("/contact")
        sent = await post_form(
            client,
            "/contact",
            {
                "form_started": started,
                "website": "",
                "name": "Hasty Visitor",
                "email": "not-an-address",
                "subject": "",
                "text_body": "",
            },
        )

    assert sent.status_code == 400
    assert f'value="{started}"' in sent.text
    assert 'id="error-email"' in sent.text
    assert 'id="error-subject"' in sent.text
    assert 'id="error-text_body"' in sent.text
