"""Account mail (sign-in links, password resets), written to the outbox for email_gateway."""

from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import AccountEmailRequested, EmailAddress
from helpdesk_runtime.outbox import add_event
from portal_api.models import outbox
from portal_api.settings import PortalSettings


async def queue_sign_in_link(
    session: AsyncSession, settings: PortalSettings, email: str, token: str
) -> None:
    """Queue the mail with a sign-in link, in the transaction that stored the token."""
    link = settings.portal_link("/sign-in/link?" + urlencode({"token": token}))
    minutes = settings.sign_in_link_minutes
    text_body = (
        f"Hello,\n\n"
        f"someone asked to sign in to {settings.product_name} with this address.\n"
        f"Open this link within {minutes} minutes to sign in:\n\n"
        f"{link}\n\n"
        f"The link works once. If you did not ask for it, ignore this mail: nobody can sign "
        f"in without the link.\n"
    )
    await _queue(
        session,
        settings,
        email,
        f"Your sign-in link for {settings.product_name}",
        text_body,
        "sign_in_link",
    )


async def queue_password_reset(
    session: AsyncSession, settings: PortalSettings, email: str, token: str
) -> None:
    """Queue the mail with a password-reset link, in the transaction that stored the token."""
    link = settings.portal_link("/password/reset?" + urlencode({"token": token}))
    minutes = settings.reset_link_minutes
    text_body = (
        f"Hello,\n\n"
        f"someone asked to reset the password of your {settings.product_name} account.\n"
        f"Open this link within {minutes} minutes to choose a new password:\n\n"
        f"{link}\n\n"
        f"The link works once. If you did not ask for it, ignore this mail: your password "
        f"stays as it is.\n"
    )
    await _queue(
        session,
        settings,
        email,
        f"Reset your {settings.product_name} password",
        text_body,
        "password_reset",
    )


async def _queue(
    session: AsyncSession,
    settings: PortalSettings,
    email: str,
    subject: str,
    text_body: str,
    purpose: str,
) -> None:
    message = AccountEmailRequested(
        to=EmailAddress(address=email),
        subject=subject,
        text_body=text_body,
        purpose=purpose,
    )
    await add_event(session, outbox, subjects.MAIL_OUTBOUND_ACCOUNT, message)
