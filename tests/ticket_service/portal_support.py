"""Accounts, tickets and request helpers shared by the portal tests."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import msgspec
from nats.aio.client import Client as NatsClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from helpdesk_contracts import subjects
from helpdesk_contracts.enums import TicketSource
from helpdesk_contracts.messages import (
    AttachmentInfo,
    ErrorReply,
    PortalAttachmentReply,
    PortalAttachmentRequest,
    PortalReplyReply,
    PortalReplyRequest,
    PortalSubmitReply,
    PortalSubmitRequest,
    PortalTicketListReply,
    PortalTicketListRequest,
    PortalTicketReply,
    PortalTicketRequest,
    PortalViewer,
)
from helpdesk_runtime.database import async_database_url

ReplyT = TypeVar("ReplyT")


@dataclass(frozen=True)
class Account:
    """A contact of a customer, as the portal's viewer."""

    contact_id: uuid.UUID
    customer_id: uuid.UUID
    address: str
    domain: str

    @property
    def viewer(self) -> PortalViewer:
        return PortalViewer(contact_id=self.contact_id)


async def request(
    connection: NatsClient, subject: str, message: msgspec.Struct, reply_type: type[ReplyT]
) -> ReplyT:
    response = await connection.request(subject, msgspec.json.encode(message), timeout=10)
    try:
        return msgspec.json.decode(response.data, type=reply_type)
    except msgspec.ValidationError:
        error = msgspec.json.decode(response.data, type=ErrorReply)
        raise AssertionError(f"{subject} failed: {error.error}") from None


async def create_customer(
    customer_api: httpx.AsyncClient, tier: str = "Standard"
) -> tuple[uuid.UUID, str]:
    domain = f"portal-{uuid.uuid4().hex[:8]}.test"
    body = {"name": f"Customer {domain}", "tier": tier, "domains": [domain]}
    response = await customer_api.post("/customers", json=body)
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"]), domain


async def create_contact(
    customer_api: httpx.AsyncClient,
    customer_id: uuid.UUID,
    domain: str,
    *,
    name: str = "",
    sees_all: bool = False,
) -> Account:
    address = f"{uuid.uuid4().hex[:8]}@{domain}"
    body = {
        "name": name or f"Contact {address}",
        "emails": [address],
        "customer_id": str(customer_id),
        "sees_all_customer_tickets": sees_all,
    }
    response = await customer_api.post("/contacts", json=body)
    assert response.status_code == 201, response.text
    return Account(uuid.UUID(response.json()["id"]), customer_id, address, domain)


async def new_account(customer_api: httpx.AsyncClient, *, sees_all: bool = False) -> Account:
    customer_id, domain = await create_customer(customer_api)
    return await create_contact(customer_api, customer_id, domain, sees_all=sees_all)


async def submit(
    connection: NatsClient,
    account: Account,
    subject: str,
    text_body: str = "Please help.",
    **fields: Any,
) -> PortalSubmitReply:
    message = PortalSubmitRequest(
        viewer=account.viewer,
        source=TicketSource.PORTAL,
        subject=subject,
        text_body=text_body,
        **fields,
    )
    return await request(connection, subjects.TICKET_PORTAL_SUBMIT, message, PortalSubmitReply)


async def open_portal_ticket(
    connection: NatsClient, account: Account, subject: str
) -> PortalSubmitReply:
    reply = await submit(connection, account, subject)
    assert reply.field_errors == ()
    assert reply.number is not None
    return reply


async def show(connection: NatsClient, account: Account, number: int) -> PortalTicketReply:
    message = PortalTicketRequest(viewer=account.viewer, number=number)
    return await request(connection, subjects.TICKET_PORTAL_SHOW, message, PortalTicketReply)


async def list_tickets(
    connection: NatsClient, account: Account, **fields: Any
) -> PortalTicketListReply:
    message = PortalTicketListRequest(viewer=account.viewer, **fields)
    return await request(connection, subjects.TICKET_PORTAL_LIST, message, PortalTicketListReply)


async def reply(
    connection: NatsClient, account: Account, number: int, text_body: str, **fields: Any
) -> PortalReplyReply:
    message = PortalReplyRequest(
        viewer=account.viewer, number=number, text_body=text_body, **fields
    )
    return await request(connection, subjects.TICKET_PORTAL_REPLY, message, PortalReplyReply)


async def attachment(
    connection: NatsClient, account: Account, number: int, sha256: str
) -> PortalAttachmentReply:
    message = PortalAttachmentRequest(viewer=account.viewer, number=number, sha256=sha256)
    return await request(
        connection, subjects.TICKET_PORTAL_ATTACHMENT, message, PortalAttachmentReply
    )


def attachment_info(content: bytes, filename: str = "report.pdf") -> AttachmentInfo:
    return AttachmentInfo(
        filename=filename,
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


async def insert_interaction(
    database_url: str,
    ticket_id: uuid.UUID,
    interaction_type: str,
    *,
    customer_visible: bool,
    text_body: str = "",
    attachments: tuple[AttachmentInfo, ...] = (),
) -> None:
    """Insert an interaction the agent API cannot create, such as a note with attachments."""
    engine = create_async_engine(async_database_url(database_url))
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO tickets.interactions (id, ticket_id, type, author, "
                    "customer_visible, text_body, created_at, attachments) VALUES (:id, "
                    ":ticket_id, :type, 'agent@tickets.test', :visible, :text, :now, "
                    "CAST(:attachments AS jsonb))"
                ),
                {
                    "id": uuid.uuid4(),
                    "ticket_id": ticket_id,
                    "type": interaction_type,
                    "visible": customer_visible,
                    "text": text_body,
                    "now": datetime.now(UTC),
                    "attachments": msgspec.json.encode(attachments).decode(),
                },
            )
    finally:
        await engine.dispose()
