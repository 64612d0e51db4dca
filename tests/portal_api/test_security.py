"""Security headers, CSRF protection and branding assets of the portal."""

from types import SimpleNamespace

import httpx

from helpdesk_runtime.settings import load_settings
from portal_api.settings import PortalSettings
from portal_api.web.auth import safe_next, session_cookie
from tests.portal_api.support import AccountMailbox, new_client, new_customer_contact


async def test_security_headers_on_every_kind_of_response(portal_url: str) -> None:
    async with new_client(portal_url) as client:
        responses = {
            "page": await client.get("/sign-in"),
            "redirect": await client.get("/tickets"),
            "static": await client.get("/static/portal.css"),
            "not found": await client.get("/no-such-page"),
            "api": await client.get("/api/tickets"),
        }

    for kind, response in responses.items():
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy, kind
        assert "script-src 'self'" in policy, kind
        assert "style-src 'self'" in policy, kind
        assert "frame-ancestors 'none'" in policy, kind
        assert "unsafe-inline" not in policy, kind
        assert response.headers["x-content-type-options"] == "nosniff", kind
        assert response.headers["referrer-policy"] == "no-referrer", kind


async def test_pages_have_no_inline_script_or_style(portal_url: str) -> None:
    async with new_client(portal_url) as client:
        page = await client.get("/contact")

    assert page.status_code == 200
    assert "<style" not in page.text
    assert " style=" not in page.text
    assert "<script>" not in page.text
    assert '<script src="/static/portal.js" defer></script>' in page.text


async def test_form_without_csrf_token_rejected(
    portal_url: str, customer_api: httpx.AsyncClient, mailbox: AccountMailbox
) -> None:
    customer = await new_customer_contact(customer_api)
    async with new_client(portal_url) as client:
        await client.get("/sign-in")
        no_token = await client.post("/sign-in/email", data={"email": customer.address})
        wrong_token = await client.post(
            "/sign-in/email", data={"email": customer.address, "_csrf_token": "0" * 128}
        )
        api = await client.post("/api/tickets/1/replies", json={"text_body": "hi"})

    assert no_token.status_code == 403
    assert "Request rejected" in no_token.text
    assert wrong_token.status_code == 403
    assert api.status_code == 403
    assert mailbox.to(customer.address) == []


async def test_csrf_cookie_from_another_session_rejected(portal_url: str) -> None:
    async with new_client(portal_url) as victim, new_client(portal_url) as attacker:
        await attacker.get("/sign-in")
        await victim.get("/sign-in")
        forged = await victim.post(
            "/sign-out", data={"_csrf_token": attacker.cookies["portal_csrf"]}
        )

    assert forged.status_code == 403


async def test_brand_and_assets_served_locally(portal_url: str) -> None:
    async with new_client(portal_url) as client:
        brand = await client.get("/brand.css")
        script = await client.get("/static/portal.js")
        page = await client.get("/sign-in")
        icon = await client.get("/favicon.ico")

    assert brand.status_code == 200
    assert brand.headers["content-type"].startswith("text/css")
    assert "--brand: #1d4ed8;" in brand.text
    assert "--brand-text: #ffffff;" in brand.text
    assert script.status_code == 200
    assert "EventSource" in script.text
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert 'fill="#1d4ed8"' in icon.text
    assert "http" not in page.text.split("<body>")[0].replace('name="viewport"', "")


def test_sign_in_redirect_stays_local() -> None:
    cases = {
        "/tickets/7": "/tickets/7",
        "/tickets?status=done&q=printer": "/tickets?status=done&q=printer",
        "//evil.example/": "/tickets",
        "/\t/evil.example/": "/tickets",
        "/\\evil.example/": "/tickets",
        "https://evil.example/": "/tickets",
        "": "/tickets",
        None: "/tickets",
    }
    for raw, expected in cases.items():
        assert safe_next(raw) == expected, raw


def test_session_cookie_secure_by_setting(database_url: str) -> None:
    secure = load_settings(PortalSettings, environ={}, database_url=database_url)
    plain = load_settings(
        PortalSettings, environ={}, database_url=database_url, cookie_secure=False
    )

    secure_header = session_cookie(SimpleNamespace(settings=secure), "token").to_header()
    plain_header = session_cookie(SimpleNamespace(settings=plain), "token").to_header()

    assert "Secure" in secure_header
    assert "HttpOnly" in secure_header
    assert "SameSite=lax" in secure_header
    assert "Secure" not in plain_header
