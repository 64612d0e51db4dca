"""Portal and web submissions with intake forms, and the forms in the agent API."""

import uuid
from typing import Any

import httpx
from nats.aio.client import Client as NatsClient

from helpdesk_contracts import subjects
from helpdesk_contracts.enums import TicketPriority, TicketSource
from helpdesk_contracts.messages import (
    EmailAddress,
    PortalFormsReply,
    PortalFormsRequest,
    PortalSubmitReply,
    PortalSubmitRequest,
    TicketCreated,
)
from tests.ticket_service.helpers import TicketsApi, collect, events_for, unique
from tests.ticket_service.portal_support import (
    attachment_info,
    list_tickets,
    new_account,
    request,
    show,
    submit,
)

HARDWARE_FIELDS: list[dict[str, Any]] = [
    {
        "key": "device",
        "label": "Device",
        "type": "select",
        "required": True,
        "options": ["Laptop", "Phone"],
    },
    {"key": "serial", "label": "Serial number", "type": "text", "required": True},
    {"key": "count", "label": "How many", "type": "number"},
    {"key": "since", "label": "Broken since", "type": "date"},
    {"key": "ports", "label": "Ports", "type": "multi_select", "options": ["USB", "HDMI"]},
    {"key": "warranty", "label": "Under warranty", "type": "checkbox"},
    {"key": "photo", "label": "Photo", "type": "file"},
]


async def create_form(tickets: TicketsApi, **overrides: Any) -> dict[str, Any]:
    if overrides.get("team"):
        await tickets.ensure_teams(overrides["team"])
    body = {"name": unique("Hardware"), "fields": HARDWARE_FIELDS, **overrides}
    response = await tickets.client.post("/intake-forms", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def create_category(tickets: TicketsApi) -> str:
    name = unique("hardware")
    response = await tickets.client.post("/categories", json={"name": name})
    assert response.status_code == 201, response.text
    return name


async def web_submit(nats_connection: NatsClient, sender: str, **fields: Any) -> PortalSubmitReply:
    message = PortalSubmitRequest(
        sender=EmailAddress(address=sender, name="Walter Web"),
        source=TicketSource.WEB,
        subject=fields.pop("subject", unique("Web question")),
        text_body=fields.pop("text_body", "Hello from the web form."),
        **fields,
    )
    return await request(nats_connection, subjects.TICKET_PORTAL_SUBMIT, message, PortalSubmitReply)


async def forms(nats_connection: NatsClient, anonymous: bool) -> list[str]:
    reply = await request(
        nats_connection,
        subjects.TICKET_PORTAL_FORMS,
        PortalFormsRequest(anonymous=anonymous),
        PortalFormsReply,
    )
    return [form.name for form in reply.forms]


async def test_form_errors_name_each_field(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    viewer = await new_account(customer_api)
    form = await create_form(tickets)
    values = {
        "device": "Toaster",
        "count": "many",
        "since": "31/12/2026",
        "ports": ["USB", "VGA"],
        "warranty": "maybe",
        "photo": "0" * 64,
        "colour": "red",
    }

    reply = await submit(
        nats_connection,
        viewer,
        unique("Broken laptop"),
        form_id=uuid.UUID(form["id"]),
        form_values=values,
    )

    assert reply.ticket_id is None
    assert sorted(error.field for error in reply.field_errors) == [
        "colour",
        "count",
        "device",
        "photo",
        "ports",
        "serial",
        "since",
        "warranty",
    ]
    assert (await list_tickets(nats_connection, viewer)).tickets == ()


async def test_blank_subject_and_text_rejected(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    viewer = await new_account(customer_api)

    reply = await submit(nats_connection, viewer, "  ", text_body="")

    assert [error.field for error in reply.field_errors] == ["subject", "text_body"]
    assert reply.number is None


async def test_form_presets_and_values_stored(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    created_events = await collect(nats_connection, subjects.TICKET_CREATED, TicketCreated)
    category = await create_category(tickets)
    form = await create_form(
        tickets, category=category, team="Hardware", priority="High", tags=["Device", "form"]
    )
    viewer = await new_account(customer_api)
    photo = attachment_info(uuid.uuid4().bytes, "photo.jpg")
    values = {
        "device": "Laptop",
        "serial": "SN-1",
        "count": "2",
        "since": "2026-12-01",
        "ports": ["HDMI", "USB", "HDMI"],
        "warranty": True,
        "photo": photo.sha256,
    }

    reply = await submit(
        nats_connection,
        viewer,
        unique("Laptop screen"),
        attachments=(photo,),
        form_id=uuid.UUID(form["id"]),
        form_values=values,
    )

    assert reply.field_errors == ()
    assert reply.ticket_id is not None and reply.number is not None
    detail = await tickets.detail(str(reply.ticket_id))
    assert detail["category"] == category
    assert detail["assigned_team"] == "Hardware"
    assert detail["priority"] == "High"
    assert detail["tags"] == ["device", "form"]
    assert detail["source"] == "portal"
    assert detail["source_email"] == viewer.address
    assert detail["customer"]["id"] == str(viewer.customer_id)
    assert detail["form_name"] == form["name"]
    assert detail["form_values"] == {
        "device": "Laptop",
        "serial": "SN-1",
        "count": 2,
        "since": "2026-12-01",
        "ports": ["USB", "HDMI"],
        "warranty": True,
        "photo": photo.sha256,
    }
    assert any(entry["actor"] == "intake form" for entry in detail["audit"])
    [announced] = await events_for(created_events, str(reply.ticket_id), 1)
    assert announced.priority is TicketPriority.HIGH
    assert announced.assigned_team == "Hardware"
    assert announced.customer_id == viewer.customer_id
    view = (await show(nats_connection, viewer, reply.number)).ticket
    assert view is not None
    assert view.form_name == form["name"]
    assert view.form_values["count"] == 2
    assert view.interactions[0].attachments == (photo,)


async def test_fixed_and_form_errors_together(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    form = await create_form(tickets)
    viewer = await new_account(customer_api)

    reply = await submit(
        nats_connection, viewer, "  ", form_id=uuid.UUID(form["id"]), form_values={}
    )

    fields = {error.field for error in reply.field_errors}
    assert "subject" in fields
    assert {"device", "serial"} <= fields
    assert reply.number is None


async def test_validate_only_opens_nothing(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    viewer = await new_account(customer_api)
    subject = unique("Only checking")

    reply = await submit(nats_connection, viewer, subject, validate_only=True)

    assert reply.field_errors == ()
    assert reply.number is None
    assert await tickets.with_subject(subject) is None


async def test_answer_labels_outlive_form(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    form = await create_form(tickets)
    viewer = await new_account(customer_api)
    reply = await submit(
        nats_connection,
        viewer,
        unique("Phone"),
        form_id=uuid.UUID(form["id"]),
        form_values={"device": "Phone", "serial": "SN-2"},
    )
    assert reply.number is not None
    deactivated = await tickets.client.post(f"/intake-forms/{form['id']}/deactivate")
    assert deactivated.status_code == 200, deactivated.text

    view = (await show(nats_connection, viewer, reply.number)).ticket

    assert view is not None
    assert view.form_labels["device"] == "Device"
    assert view.form_labels["serial"] == "Serial number"


async def test_web_submission_resolves_sender(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    viewer = await new_account(customer_api)
    public_form = await create_form(tickets, anonymous=True, fields=[])
    private_form = await create_form(tickets, fields=[])

    reply = await web_submit(nats_connection, viewer.address, form_id=uuid.UUID(public_form["id"]))
    refused = await web_submit(
        nats_connection, viewer.address, form_id=uuid.UUID(private_form["id"])
    )
    invalid_sender = await web_submit(nats_connection, "not-an-address")

    assert reply.field_errors == ()
    detail = await tickets.detail(str(reply.ticket_id))
    assert detail["source"] == "web"
    assert detail["source_email"] == viewer.address
    assert detail["primary_contact_id"] == str(viewer.contact_id)
    assert detail["customer"]["id"] == str(viewer.customer_id)
    assert [i["type"] for i in detail["interactions"]] == ["PORTAL_MESSAGE"]
    assert detail["interactions"][0]["customer_visible"]
    assert [error.field for error in refused.field_errors] == ["form_id"]
    assert [error.field for error in invalid_sender.field_errors] == ["sender"]
    listed = await list_tickets(nats_connection, viewer)
    assert [ticket.number for ticket in listed.tickets] == [reply.number]


async def test_web_submission_from_stranger(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    sender = f"{uuid.uuid4().hex[:8]}@stranger-{uuid.uuid4().hex[:6]}.test"

    reply = await web_submit(nats_connection, sender)

    assert reply.field_errors == ()
    detail = await tickets.detail(str(reply.ticket_id))
    assert detail["primary_contact_id"] is not None
    assert detail["customer"]["id"] is None
    assert detail["interactions"][0]["author"] == sender


async def test_forms_offered_by_audience(tickets: TicketsApi, nats_connection: NatsClient) -> None:
    public_form = await create_form(tickets, anonymous=True)
    private_form = await create_form(tickets)
    retired_form = await create_form(tickets, anonymous=True)
    deactivated = await tickets.client.post(f"/intake-forms/{retired_form['id']}/deactivate")
    assert deactivated.status_code == 200, deactivated.text

    for_portal = await forms(nats_connection, anonymous=False)
    for_web = await forms(nats_connection, anonymous=True)

    assert public_form["name"] in for_portal
    assert private_form["name"] in for_portal
    assert retired_form["name"] not in for_portal
    assert public_form["name"] in for_web
    assert private_form["name"] not in for_web
    assert retired_form["name"] not in for_web


async def test_deactivated_form_not_accepted(
    customer_api: httpx.AsyncClient, tickets: TicketsApi, nats_connection: NatsClient
) -> None:
    viewer = await new_account(customer_api)
    form = await create_form(tickets, fields=[])
    deactivated = await tickets.client.post(f"/intake-forms/{form['id']}/deactivate")
    assert deactivated.status_code == 200, deactivated.text

    reply = await submit(nats_connection, viewer, unique("Late"), form_id=uuid.UUID(form["id"]))

    assert [error.field for error in reply.field_errors] == ["form_id"]


async def test_form_api_lifecycle(tickets: TicketsApi) -> None:
    form = await create_form(tickets, description="For broken devices")
    form_id = form["id"]

    shown = await tickets.client.get(f"/intake-forms/{form_id}")
    replaced = await tickets.client.put(
        f"/intake-forms/{form_id}",
        json={"name": form["name"], "fields": HARDWARE_FIELDS[:1], "priority": "Urgent"},
    )
    deactivated = await tickets.client.post(f"/intake-forms/{form_id}/deactivate")
    active_list = await tickets.client.get("/intake-forms")
    full_list = await tickets.client.get("/intake-forms", params={"include_inactive": "true"})
    missing = await tickets.client.get(f"/intake-forms/{uuid.uuid4()}")

    assert shown.status_code == 200
    assert [field["key"] for field in shown.json()["fields"]] == [
        field["key"] for field in HARDWARE_FIELDS
    ]
    assert shown.json()["description"] == "For broken devices"
    assert replaced.status_code == 200, replaced.text
    assert [field["key"] for field in replaced.json()["fields"]] == ["device"]
    assert replaced.json()["priority"] == "Urgent"
    assert deactivated.json()["active"] is False
    assert form_id not in [item["id"] for item in active_list.json()]
    assert form_id in [item["id"] for item in full_list.json()]
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


async def test_invalid_form_names_field(tickets: TicketsApi) -> None:
    cases = [
        ([{"key": "size", "label": "Size", "type": "select"}], "$.fields[0].options"),
        (
            [
                {"key": "name", "label": "Name", "type": "text"},
                {"key": "name", "label": "Other name", "type": "text"},
            ],
            "$.fields[1].key",
        ),
        ([{"key": "Bad Key", "label": "Bad", "type": "text"}], "$.fields[0].key"),
        ([{"key": "subject", "label": "Subject", "type": "text"}], "$.fields[0].key"),
        (
            [{"key": "note", "label": "Note", "type": "text", "options": ["a"]}],
            "$.fields[0].options",
        ),
        (
            [{"key": "pick", "label": "Pick", "type": "select", "options": ["a", "a"]}],
            "$.fields[0].options",
        ),
    ]
    for fields, path in cases:
        response = await tickets.client.post(
            "/intake-forms", json={"name": unique("Broken"), "fields": fields}
        )

        assert response.status_code == 400, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [error["field"] for error in response.json()["errors"]] == [path]

    unknown_category = await tickets.client.post(
        "/intake-forms", json={"name": unique("Broken"), "category": "no-such-category"}
    )
    assert unknown_category.status_code == 400
    assert [error["field"] for error in unknown_category.json()["errors"]] == ["$.category"]
