"""Mail, NATS and HTTP helpers for the ticket_service tests."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from customer_service.app import create_app as create_customer_app
from customer_service.settings import CustomerSettings
from helpdesk_contracts import subjects
from helpdesk_contracts.messages import EmailAddress, InboundEmailReceived, Message
from helpdesk_runtime.database import create_engine, create_session_factory, unit_of_work
from helpdesk_runtime.migrations import upgrade_to_head
from helpdesk_runtime.settings import load_settings
from tests.support.servers import serving, wait_until
from ticket_service.agents import NewAgent, create_agent, get_agent
from ticket_service.api_keys import issue_key
from ticket_service.app import create_app as create_ticket_app
from ticket_service.errors import AgentNotFoundError
from ticket_service.models import SCHEMA
from ticket_service.roles import ADMIN_ROLE
from ticket_service.settings import TicketSettings
from ticket_service.tickets import utc_now

MAIL_DOMAIN = "tickets.test"
SUPPORT_ADDRESS = "support@tickets.test"


def ticket_settings(nats_url: str, database_url: str, **overrides: Any) -> TicketSettings:
    values: dict[str, Any] = {
        "mail_domain": MAIL_DOMAIN,
        "support_address": SUPPORT_ADDRESS,
        "enrichment_retry_seconds": 0.3,
        "auto_close_interval_seconds": 0.3,
        **overrides,
    }
    return load_settings(
        TicketSettings, environ={}, nats_url=nats_url, database_url=database_url, **values
    )


@contextlib.asynccontextmanager
async def running_customer_service(nats_url: str, database_url: str) -> AsyncIterator[str]:
    settings = load_settings(
        CustomerSettings, environ={}, nats_url=nats_url, database_url=database_url
    )
    async with serving(create_customer_app(settings)) as base_url:
        yield base_url


@contextlib.asynccontextmanager
async def running_ticket_service(settings: TicketSettings) -> AsyncIterator[str]:
    async with serving(create_ticket_app(settings)) as base_url:
        yield base_url


# The agent whose key the tests' API clients use, unless a test names another.
TEST_ADMIN = "test.admin"


async def agent_key(
    database_url: str, handle: str = TEST_ADMIN, role: str = ADMIN_ROLE, display_name: str = ""
) -> str:
    """Return a new API key of the agent `handle`, creating the agent when it is missing.

    It writes to the database directly, as `python -m ticket_service keys create` does, so
    the first key exists before anyone can call the API.
    """
    engine = create_engine(database_url, pool_size=1)
    try:
        await upgrade_to_head(engine, "ticket_service", SCHEMA)
        async with unit_of_work(create_session_factory(engine)) as session:
            try:
                agent = await get_agent(session, handle)
            except AgentNotFoundError:
                new_agent = NewAgent(
                    handle=handle,
                    display_name=display_name or handle.replace(".", " ").title(),
                    email=f"{handle}@{MAIL_DOMAIN}",
                    role=role,
                )
                agent = await create_agent(session, new_agent, utc_now())
            issued = await issue_key(session, agent, "tests", utc_now())
    finally:
        await engine.dispose()
    return issued.key


def bearer(key: str) -> dict[str, str]:
    """Return the Authorization header of an API key."""
    return {"Authorization": f"Bearer {key}"}


@contextlib.asynccontextmanager
async def agent_client(
    base_url: str,
    database_url: str,
    handle: str = TEST_ADMIN,
    role: str = ADMIN_ROLE,
    display_name: str = "",
) -> AsyncIterator[httpx.AsyncClient]:
    """Yield an HTTP client of the agent API that authenticates as the agent `handle`."""
    key = await agent_key(database_url, handle, role, display_name)
    async with httpx.AsyncClient(base_url=base_url, timeout=10, headers=bearer(key)) as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def new_message_id(domain: str = "mail.customer.test") -> str:
    return f"{uuid.uuid4().hex}@{domain}"


def inbound_mail(
    subject: str,
    sender: str,
    *,
    name: str = "",
    message_id: str | None = None,
    in_reply_to: tuple[str, ...] = (),
    references: tuple[str, ...] = (),
    text: str = "Hello, something is broken.",
    auto_submitted: bool = False,
    automatic_reply: bool = False,
) -> InboundEmailReceived:
    return InboundEmailReceived(
        raw_message_id=uuid.uuid4(),
        message_id=message_id or new_message_id(),
        in_reply_to=in_reply_to,
        references=references,
        sender=EmailAddress(address=sender, name=name),
        to=(EmailAddress(address=SUPPORT_ADDRESS),),
        subject=subject,
        received_at=datetime.now(UTC),
        text_body=text,
        auto_submitted=auto_submitted or automatic_reply,
        auto_submitted_reason=(
            "Auto-Submitted: auto-replied"
            if automatic_reply
            else "Auto-Submitted: auto-generated"
            if auto_submitted
            else None
        ),
        automatic_reply=automatic_reply,
    )


async def publish(js: JetStreamContext, subject: str, message: Message) -> None:
    # Nats-Msg-Id is the event id, so republishing the same Message-ID in a new event
    # reaches the consumer instead of being dropped by JetStream's duplicate window.
    await js.publish(
        subject, msgspec.json.encode(message), headers={"Nats-Msg-Id": str(message.id)}
    )


async def publish_mail(js: JetStreamContext, message: InboundEmailReceived) -> None:
    await publish(js, subjects.MAIL_INBOUND_RECEIVED, message)


class Collector:
    """Core NATS subscription that keeps every message on one subject, decoded."""

    def __init__(self, message_type: type[Any]) -> None:
        self.message_type = message_type
        self.messages: list[Any] = []

    async def on_message(self, msg: Msg) -> None:
        self.messages.append(msgspec.json.decode(msg.data, type=self.message_type))

    def matching(self, **fields: Any) -> list[Any]:
        return [
            message
            for message in self.messages
            if all(getattr(message, name) == value for name, value in fields.items())
        ]


async def collect(connection: NatsClient, subject: str, message_type: type[Any]) -> Collector:
    collector = Collector(message_type)
    await connection.subscribe(subject, cb=collector.on_message)
    await connection.flush()
    return collector


def without_system(interactions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the interactions except the SYSTEM entries that narrate changes."""
    return [interaction for interaction in interactions if interaction["type"] != "SYSTEM"]


class TicketsApi:
    """The agent API of a running ticket_service."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def list(self, **params: Any) -> dict[str, Any]:
        response = await self.client.get("/tickets", params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def detail(self, ticket_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/tickets/{ticket_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def with_subject(self, subject: str) -> dict[str, Any] | None:
        page = await self.list(limit=200)
        found = [ticket for ticket in page["items"] if ticket["subject"] == subject]
        assert len(found) <= 1, f"{len(found)} tickets have the subject {subject!r}"
        return found[0] if found else None

    async def wait_for_subject(self, subject: str, enriched: bool = True) -> dict[str, Any]:
        async def created() -> dict[str, Any] | None:
            return await self.with_subject(subject)

        ticket: dict[str, Any] = await wait_until(created)
        if not enriched:
            return await self.detail(ticket["id"])

        # Under load the first resolve-contact request can time out, and the ticket is
        # then enriched by a retry that increments its version: wait for that to settle.
        async def settled_detail() -> dict[str, Any] | None:
            detail = await self.detail(ticket["id"])
            return None if detail["enrichment_pending"] else detail

        settled: dict[str, Any] = await wait_until(settled_detail)
        return settled

    async def wait_for_interactions(self, ticket_id: str, count: int) -> dict[str, Any]:
        """Wait for `count` messages and notes; the returned detail leaves out SYSTEM entries."""

        async def reached() -> dict[str, Any] | None:
            detail = await self.detail(ticket_id)
            detail["interactions"] = without_system(detail["interactions"])
            return detail if len(detail["interactions"]) >= count else None

        detail: dict[str, Any] = await wait_until(reached)
        return detail

    async def patch(self, ticket_id: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.client.patch(f"/tickets/{ticket_id}", json=body, headers=headers)

    async def reply(self, ticket_id: str, text: str, **headers: str) -> httpx.Response:
        body = {"text": text}
        return await self.client.post(f"/tickets/{ticket_id}/replies", json=body, headers=headers)

    async def ensure_agents(self, *handles: str) -> None:
        """Create the agents that do not exist yet, so tickets can be assigned to them."""
        for handle in handles:
            body = {"handle": handle, "display_name": handle.title(), "email": f"{handle}@x.test"}
            response = await self.client.post("/agents", json=body)
            assert response.status_code in (201, 409), response.text

    async def ensure_teams(self, *names: str) -> None:
        """Create the teams that do not exist yet, so tickets and rules can name them."""
        for name in names:
            response = await self.client.post("/teams", json={"name": name})
            assert response.status_code in (201, 409), response.text


async def open_ticket(
    tickets: TicketsApi, js: JetStreamContext, subject: str = ""
) -> dict[str, Any]:
    """Send a first message from a new sender and return the enriched ticket it opens."""
    message = inbound_mail(
        subject or unique("Cannot log in"), f"{uuid.uuid4().hex[:8]}@customer.test"
    )
    await publish_mail(js, message)
    return await tickets.wait_for_subject(message.subject)


async def events_for(collector: Collector, ticket_id: str, count: int) -> list[Any]:
    """Wait until `collector` contains `count` messages about the ticket, and return them."""

    async def arrived() -> list[Any] | None:
        found = collector.matching(ticket_id=uuid.UUID(ticket_id))
        return found if len(found) >= count else None

    found: list[Any] = await wait_until(arrived)
    return found
