"""A signed-in portal client, account mail capture and ticket helpers for the portal tests."""

import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import AccountEmailRequested
from portal_api.spam_guard import sign_start
from tests.support.servers import wait_until

SECRET_KEY = "portal-test-secret"
CSRF_COOKIE = "portal_csrf"
_LINK_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_\-]+)")


class AccountMailbox:
    """Every AccountEmailRequested published on NATS, by recipient."""

    def __init__(self) -> None:
        self.messages: list[AccountEmailRequested] = []

    async def on_message(self, message: Msg) -> None:
        self.messages.append(msgspec.json.decode(message.data, type=AccountEmailRequested))

    def to(self, address: str) -> list[AccountEmailRequested]:
        return [mail for mail in self.messages if mail.to.address == address.lower()]

    async def next_token(self, address: str, purpose: str, seen: int = 0) -> str:
        """Wait for mail number `seen + 1` of `purpose` to `address` and return its token."""

        async def arrived() -> list[AccountEmailRequested] | None:
            found = [mail for mail in self.to(address) if mail.purpose == purpose]
            return found if len(found) > seen else None

        mails: list[AccountEmailRequested] = await wait_until(arrived)
        match = _LINK_TOKEN.search(mails[seen].text_body)
        assert match is not None, mails[seen].text_body
        return match.group(1)


async def account_mailbox(connection: NatsClient) -> AccountMailbox:
    mailbox = AccountMailbox()
    await connection.subscribe(subjects.MAIL_OUTBOUND_ACCOUNT, cb=mailbox.on_message)
    await connection.flush()
    return mailbox


def new_client(base_url: str, client_ip: str | None = None) -> httpx.AsyncClient:
    """Return a browser-like client; each gets its own address for the per-IP limits."""
    ip = client_ip or f"198.51.100.{uuid.uuid4().int % 250 + 1}-{uuid.uuid4().hex[:6]}"
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=15,
        headers={"x-forwarded-for": ip, "accept": "text/html"},
    )


async def csrf_token(client: httpx.AsyncClient) -> str:
    """Return the CSRF token, fetching a page first if the client has no cookie yet."""
    if CSRF_COOKIE not in client.cookies:
        response = await client.get("/sign-in")
        assert response.status_code == 200, response.text
    return str(client.cookies[CSRF_COOKIE])


async def post_form(
    client: httpx.AsyncClient,
    path: str,
    data: dict[str, Any],
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
) -> httpx.Response:
    """Post a form the way the browser does, with the CSRF token field."""
    token = await csrf_token(client)
    return await client.post(path, data={**data, "_csrf_token": token}, files=files)


async def sign_in_by_link(client: httpx.AsyncClient, mailbox: AccountMailbox, address: str) -> None:
    """Ask for a sign-in link, open it and press the button, as a customer would."""
    seen = len([mail for mail in mailbox.to(address) if mail.purpose == "sign_in_link"])
    requested = await post_form(client, "/sign-in/email", {"email": address})
    assert requested.status_code == 200, requested.text
    token = await mailbox.next_token(address, "sign_in_link", seen)

    confirm_page = await client.get("/sign-in/link", params={"token": token})
    assert confirm_page.status_code == 200, confirm_page.text
    used = await post_form(client, "/sign-in/link", {"token": token})
    assert used.status_code == 303, used.text
    assert used.headers["location"] == "/tickets"


def started_long_ago() -> str:
    """Return a web-form start time signed as if the form was shown a minute ago."""
    return sign_start(SECRET_KEY, time.time() - 60)


@dataclass(frozen=True)
class Customer:
    """A customer contact that can sign in to the portal."""

    contact_id: uuid.UUID
    customer_id: uuid.UUID
    address: str


async def new_customer_contact(
    customer_api: httpx.AsyncClient, *, sees_all: bool = False
) -> Customer:
    domain = f"portal-{uuid.uuid4().hex[:8]}.test"
    created = await customer_api.post(
        "/customers", json={"name": f"Customer {domain}", "tier": "Standard", "domains": [domain]}
    )
    assert created.status_code == 201, created.text
    customer_id = uuid.UUID(created.json()["id"])
    address = f"{uuid.uuid4().hex[:8]}@{domain}"
    contact = await customer_api.post(
        "/contacts",
        json={
            "name": f"Contact {address}",
            "emails": [address],
            "customer_id": str(customer_id),
            "sees_all_customer_tickets": sees_all,
        },
    )
    assert contact.status_code == 201, contact.text
    return Customer(uuid.UUID(contact.json()["id"]), customer_id, address)


async def submit_ticket(
    client: httpx.AsyncClient,
    subject: str,
    text_body: str = "Please help.",
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    **fields: Any,
) -> int:
    """Submit the new-request form and return the new ticket's number."""
    data = {"form_id": "", "subject": subject, "text_body": text_body, **fields}
    response = await post_form(client, "/tickets/new", data, files)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/tickets/"), location
    return int(location.rsplit("/", 1)[1])
