"""The portal in headless Chromium: sign in, submit a request, see a reply arrive live, reply.

Debian's Chromium is used as installed; no browser is ever downloaded.
"""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.portal_api.support import AccountMailbox, new_customer_contact
from tests.ticket_service.helpers import TicketsApi

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="browser tests need Debian's Chromium at /usr/bin/chromium"
)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def sign_in_with_link(
    page: Page, portal_url: str, mailbox: AccountMailbox, address: str
) -> None:
    await page.goto(f"{portal_url}/sign-in")
    await page.get_by_role("link", name="Get a sign-in link by email").click()
    await page.get_by_label("Email address").fill(address)
    await page.get_by_role("button", name="Send the link").click()
    await expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()

    token = await mailbox.next_token(address, "sign_in_link")
    await page.goto(f"{portal_url}/sign-in/link?token={token}")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="My requests")).to_be_visible()


async def test_customer_follows_ticket_live(
    browser: Browser,
    portal_url: str,
    customer_api: httpx.AsyncClient,
    mailbox: AccountMailbox,
    tickets: TicketsApi,
) -> None:
    customer = await new_customer_contact(customer_api)
    context = await browser.new_context()
    page = await context.new_page()
    policy_violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            policy_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )

    await sign_in_with_link(page, portal_url, mailbox, customer.address)

    subject = f"Export fails {uuid.uuid4().hex[:6]}"
    await page.get_by_role("link", name="New request", exact=True).first.click()
    await page.get_by_label("Subject").fill(subject)
    await page.get_by_label("Message").fill("The CSV export stops at 50%.")
    await page.get_by_role("button", name="Send request").click()
    await expect(page.get_by_role("heading", name=subject)).to_be_visible()
    number = int(page.url.rsplit("/", 1)[1])
    # The stream is open once the browser has connected; wait for it before the agent acts.
    await expect(page.locator("#ticket")).to_have_attribute("data-live-state", "open")

    ticket = (await tickets.client.get(f"/tickets/by-number/{number}")).json()
    agent_text = "Thanks, we can reproduce it and are working on a fix."
    replied = await tickets.reply(ticket["id"], agent_text)
    assert replied.status_code == 201, replied.text
    await expect(page.locator("#conversation")).to_contain_text(agent_text)
    await expect(page.locator("#conversation")).not_to_contain_text("agent@tickets.test")
    changed = await tickets.patch(ticket["id"], {"status": "Waiting on Customer"})
    assert changed.status_code == 200, changed.text
    await expect(page.locator("#ticket-status")).to_have_text("Waiting on Customer")

    await page.get_by_label("Your message").fill("It works again, thank you!")
    await page.get_by_role("button", name="Send reply").click()
    await expect(page.locator("#conversation")).to_contain_text("It works again, thank you!")

    detail = await tickets.detail(ticket["id"])
    assert detail["status"] == "Open"
    assert policy_violations == []
    await context.close()


async def test_phone_layout_and_keyboard(browser: Browser, portal_url: str, tmp_path: Path) -> None:
    context = await browser.new_context(viewport={"width": 375, "height": 740})
    page = await context.new_page()
    await page.goto(f"{portal_url}/contact")

    await page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    await expect(skip_link).to_be_focused()
    await page.keyboard.press("Enter")
    width = await page.evaluate("document.documentElement.scrollWidth")
    await page.screenshot(path=str(tmp_path / "contact-phone.png"), full_page=True)

    assert width <= 375
    await context.close()
