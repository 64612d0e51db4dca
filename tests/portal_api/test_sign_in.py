"""Sign-in by link and password, resets, rate limits and sign-out, over real services."""

import hashlib
from datetime import timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from helpdesk_runtime.database import async_database_url, create_session_factory, unit_of_work
from portal_api import accounts
from portal_api.browser_sessions import SESSION_COOKIE
from tests.portal_api.support import (
    AccountMailbox,
    new_client,
    new_customer_contact,
    post_form,
    sign_in_by_link,
)

PASSWORD = "correct horse battery"


async def set_password(client: httpx.AsyncClient, password: str, current: str = "") -> None:
    response = await post_form(
        client,
        "/account/password",
        {"current_password": current, "password": password, "password_confirm": password},
    )
    assert response.status_code == 200, response.text
    assert "The password is saved." in response.text


async def password_sign_in(
    client: httpx.AsyncClient, address: str, password: str
) -> httpx.Response:
    return await post_form(client, "/sign-in", {"email": address, "password": password})


async def is_signed_in(client: httpx.AsyncClient) -> bool:
    response = await client.get("/tickets")
    return response.status_code == 200


async def test_link_sign_in_creates_account(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox, database_url: str
) -> None:
    customer = await new_customer_contact(customer_api)

    async with new_client(portal_url) as client:
        await sign_in_by_link(client, mailbox, customer.address)
        tickets = await client.get("/tickets")
        token = client.cookies[SESSION_COOKIE]

    assert tickets.status_code == 200
    assert "My requests" in tickets.text
    engine = create_async_engine(async_database_url(database_url))
    async with engine.connect() as connection:
        contact_id = await connection.scalar(
            text("SELECT contact_id FROM portal.accounts WHERE email = :email"),
            {"email": customer.address},
        )
        stored = await connection.scalar(
            text("SELECT count(*) FROM portal.sessions WHERE token_hash = :hash"),
            {"hash": hashlib.sha256(token.encode()).hexdigest()},
        )
        in_clear = await connection.scalar(
            text("SELECT count(*) FROM portal.sessions WHERE token_hash = :token"),
            {"token": token},
        )
    await engine.dispose()
    assert contact_id == customer.contact_id
    assert stored == 1
    assert in_clear == 0


async def test_session_cookie_attributes(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> None:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as client:
        requested = await post_form(client, "/sign-in/email", {"email": customer.address})
        assert requested.status_code == 200
        token = await mailbox.next_token(customer.address, "sign_in_link")
        used = await post_form(client, "/sign-in/link", {"token": token})

    cookie = next(
        header
        for header in used.headers.get_list("set-cookie")
        if header.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie


async def test_link_works_once(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> None:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as first:
        await post_form(first, "/sign-in/email", {"email": customer.address})
        token = await mailbox.next_token(customer.address, "sign_in_link")
        used = await post_form(first, "/sign-in/link", {"token": token})
    async with new_client(portal_url) as second:
        shown_again = await second.get("/sign-in/link", params={"token": token})
        used_again = await post_form(second, "/sign-in/link", {"token": token})
        signed_in = await is_signed_in(second)

    assert used.status_code == 303
    assert shown_again.status_code == 400
    assert used_again.status_code == 400
    assert "not valid any more" in used_again.text
    assert not signed_in


async def test_expired_link_rejected(
    portal_url: str, customer_api: httpx.AsyncClient, database_url: str
) -> None:
    customer = await new_customer_contact(customer_api)
    engine = create_async_engine(async_database_url(database_url))
    async with unit_of_work(create_session_factory(engine)) as session:
        token = await accounts.issue_one_time_token(
            session, accounts.SIGN_IN_LINK, customer.address, timedelta(minutes=-1)
        )
    await engine.dispose()

    async with new_client(portal_url) as client:
        used = await post_form(client, "/sign-in/link", {"token": token})
        signed_in = await is_signed_in(client)

    assert used.status_code == 400
    assert not signed_in


async def test_link_request_does_not_reveal_accounts(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> None:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as client:
        await sign_in_by_link(client, mailbox, customer.address)
    stranger = "nobody-here@unknown-customer.test"

    async with new_client(portal_url) as client:
        known = await post_form(client, "/sign-in/email", {"email": customer.address})
        unknown = await post_form(client, "/sign-in/email", {"email": stranger})
        known_reset = await post_form(client, "/password/forgot", {"email": customer.address})
        unknown_reset = await post_form(client, "/password/forgot", {"email": stranger})

    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(customer.address, "X") == unknown.text.replace(stranger, "X")
    assert known_reset.status_code == unknown_reset.status_code == 200
    assert known_reset.text.replace(customer.address, "X") == unknown_reset.text.replace(
        stranger, "X"
    )
    # An address without an account gets a sign-in link instead of a reset link.
    assert await mailbox.next_token(stranger, "sign_in_link", seen=1)
    assert await mailbox.next_token(customer.address, "password_reset")


async def test_password_sign_in(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> None:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as client:
        await sign_in_by_link(client, mailbox, customer.address)
        await set_password(client, PASSWORD)

    async with new_client(portal_url) as client:
        signed = await password_sign_in(client, customer.address.upper(), PASSWORD)
        signed_in = await is_signed_in(client)

    assert signed.status_code == 303
    assert signed.headers["location"] == "/tickets"
    assert signed_in


async def test_wrong_password_and_unknown_address_look_alike(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> None:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as client:
        await sign_in_by_link(client, mailbox, customer.address)
        await set_password(client, PASSWORD)

    async with new_client(portal_url) as client:
        wrong = await password_sign_in(client, customer.address, "not the password")
        unknown = await password_sign_in(client, "nobody@unknown-customer.test", PASSWORD)
        signed_in = await is_signed_in(client)

    assert wrong.status_code == 400
    assert unknown.status_code == 400
    assert "The email address or the password is not correct." in wrong.text
    assert "The email address or the password is not correct." in unknown.text
    assert not signed_in


async def test_changing_password_needs_current_one(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> None:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as client:
        await sign_in_by_link(client, mailbox, customer.address)
        await set_password(client, PASSWORD)
        rejected = await post_form(
            client,
            "/account/password",
            {"current_password": "guess", "password": "x" * 20, "password_confirm": "x" * 20},
        )
        too_short = await post_form(
            client,
            "/account/password",
            {"current_password": PASSWORD, "password": "short", "password_confirm": "short"},
        )

    assert rejected.status_code == 400
    assert "The current password is not correct." in rejected.text
    assert too_short.status_code == 400
    assert "Use at least 10 characters." in too_short.text


async def test_password_reset_ends_other_sessions(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> None:
    customer = await new_customer_contact(customer_api)
    new_password = "a brand new passphrase"
    async with new_client(portal_url) as old_device, new_client(portal_url) as client:
        await sign_in_by_link(old_device, mailbox, customer.address)
        await set_password(old_device, PASSWORD)

        requested = await post_form(client, "/password/forgot", {"email": customer.address})
        token = await mailbox.next_token(customer.address, "password_reset")
        form = await client.get("/password/reset", params={"token": token})
        mismatch = await post_form(
            client,
            "/password/reset",
            {"token": token, "password": new_password, "password_confirm": "other"},
        )
        reset = await post_form(
            client,
            "/password/reset",
            {"token": token, "password": new_password, "password_confirm": new_password},
        )
        reused = await post_form(
            client,
            "/password/reset",
            {"token": token, "password": new_password, "password_confirm": new_password},
        )
        client_signed_in = await is_signed_in(client)
        old_device_signed_in = await is_signed_in(old_device)

    async with new_client(portal_url) as fresh:
        old_password = await password_sign_in(fresh, customer.address, PASSWORD)
        new = await password_sign_in(fresh, customer.address, new_password)

    assert requested.status_code == 200
    assert form.status_code == 200
    assert mismatch.status_code == 400
    assert reset.status_code == 303
    assert reused.status_code == 400
    assert client_signed_in
    assert not old_device_signed_in
    assert old_password.status_code == 400
    assert new.status_code == 303


async def test_rate_limit_per_address(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> None:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as client:
        await sign_in_by_link(client, mailbox, customer.address)
        await set_password(client, PASSWORD)

    statuses = []
    for _ in range(5):
        # A new client address every time: the limit follows the account's address.
        async with new_client(portal_url) as attacker:
            statuses.append(
                (await password_sign_in(attacker, customer.address, "guess")).status_code
            )
    async with new_client(portal_url) as owner:
        blocked = await password_sign_in(owner, customer.address, PASSWORD)
        signed_in = await is_signed_in(owner)

    assert statuses == [400] * 5
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.text
    assert not signed_in


async def test_rate_limit_per_client_ip(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> None:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as client:
        await sign_in_by_link(client, mailbox, customer.address)
        await set_password(client, PASSWORD)

    async with new_client(portal_url, client_ip="203.0.113.77") as attacker:
        statuses = [
            (await password_sign_in(attacker, f"guess{index}@unknown.test", "guess")).status_code
            for index in range(30)
        ]
        blocked = await password_sign_in(attacker, customer.address, PASSWORD)
    async with new_client(portal_url) as owner:
        allowed = await password_sign_in(owner, customer.address, PASSWORD)

    assert statuses == [400] * 30
    assert blocked.status_code == 429
    assert allowed.status_code == 303


async def test_sign_out(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> None:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as client:
        await sign_in_by_link(client, mailbox, customer.address)
        token = client.cookies[SESSION_COOKIE]
        signed_out = await post_form(client, "/sign-out", {})
        after = await client.get("/tickets")

    async with new_client(portal_url) as replay:
        replay.cookies.set(SESSION_COOKIE, token)
        replayed = await replay.get("/tickets")

    assert signed_out.status_code == 303
    assert after.status_code == 303
    assert after.headers["location"].startswith("/sign-in")
    assert replayed.status_code == 303


async def test_sign_out_everywhere(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> None:
    customer = await new_customer_contact(customer_api)
    other = await new_customer_contact(customer_api)
    async with (
        new_client(portal_url) as phone,
        new_client(portal_url) as laptop,
        new_client(portal_url) as other_customer,
    ):
        await sign_in_by_link(phone, mailbox, customer.address)
        await sign_in_by_link(laptop, mailbox, customer.address)
        await sign_in_by_link(other_customer, mailbox, other.address)

        ended = await post_form(laptop, "/sign-out/everywhere", {})
        phone_signed_in = await is_signed_in(phone)
        laptop_signed_in = await is_signed_in(laptop)
        other_signed_in = await is_signed_in(other_customer)

    assert ended.status_code == 303
    assert not phone_signed_in
    assert not laptop_signed_in
    assert other_signed_in


async def test_pages_need_sign_in(portal_url: str) -> None:
    async with new_client(portal_url) as client:
        page = await client.get("/tickets/1")
        api = await client.get("/api/tickets")

    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in?next=%2Ftickets%2F1"
    assert api.status_code == 401
    assert api.headers["content-type"].startswith("application/problem+json")
