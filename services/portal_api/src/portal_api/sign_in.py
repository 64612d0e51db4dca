"""Sign-in flows: emailed links, passwords, resets, each rate-limited and silent about accounts.

Every response about an address is the same whether or not it has an account. A link
request always reports "mail sent", and a failed password sign-in never reveals whether
the address or the password was wrong.
"""

import enum
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.logging import get_logger
from portal_api import accounts
from portal_api.account_mail import queue_password_reset, queue_sign_in_link
from portal_api.accounts import Account
from portal_api.browser_sessions import delete_expired_sessions, end_all_sessions, start_session
from portal_api.context import Portal
from portal_api.passwords import hash_password, needs_rehash, password_problem, verify_password
from portal_api.rate_limits import Limit, clear_hits, is_exceeded, record_hit

log = get_logger(__name__)


class SignInFailure(enum.Enum):
    """The reason a sign-in did not start a session."""

    INVALID = "invalid"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class SignedIn:
    """A new session: the token for the cookie and the account it belongs to."""

    token: str
    account: Account


def _sign_in_limits(portal: Portal) -> tuple[Limit, Limit]:
    settings = portal.settings
    window = settings.sign_in_window_seconds
    return (
        Limit("sign_in_address", settings.sign_in_attempts_per_address, window),
        Limit("sign_in_ip", settings.sign_in_attempts_per_ip, window),
    )


def _mail_limits(portal: Portal) -> tuple[Limit, Limit]:
    settings = portal.settings
    window = settings.sign_in_window_seconds
    return (
        Limit("mail_address", settings.link_requests_per_address, window),
        Limit("mail_ip", settings.link_requests_per_ip, window),
    )


async def request_sign_in_link(portal: Portal, email: str, client_ip: str) -> None:
    """Mail a sign-in link to `email` unless the address or the IP asked too often."""
    await _mail_link(portal, email, client_ip, reset=False)


async def request_password_reset(portal: Portal, email: str, client_ip: str) -> None:
    """Mail a reset link to an account's address; an address without one gets a sign-in link.

    Both cases write one token and one mail, so neither the response nor its timing reveals
    whether the address has an account, and the owner of a new address can still get in.
    """
    await _mail_link(portal, email, client_ip, reset=True)


async def _mail_link(portal: Portal, email: str, client_ip: str, *, reset: bool) -> None:
    by_address, by_ip = _mail_limits(portal)
    settings = portal.settings
    async with unit_of_work(portal.sessions) as session:
        if await is_exceeded(session, by_ip, client_ip) or await is_exceeded(
            session, by_address, email
        ):
            log.warning("account mail rate-limited", client_ip=client_ip)
            return
        await record_hit(session, by_ip, client_ip)
        await record_hit(session, by_address, email)

        has_account = await accounts.find_account(session, email) is not None
        if reset and has_account:
            lifetime = timedelta(minutes=settings.reset_link_minutes)
            token = await accounts.issue_one_time_token(
                session, accounts.PASSWORD_RESET, email, lifetime
            )
            await queue_password_reset(session, settings, email, token)
            return

        lifetime = timedelta(minutes=settings.sign_in_link_minutes)
        token = await accounts.issue_one_time_token(session, accounts.SIGN_IN_LINK, email, lifetime)
        await queue_sign_in_link(session, settings, email, token)


async def sign_in_with_link(portal: Portal, token: str) -> SignedIn | None:
    """Consume a sign-in link and start a session, creating the account on first use."""
    async with unit_of_work(portal.sessions) as session:
        email = await accounts.consume_one_time_token(session, accounts.SIGN_IN_LINK, token)
        if email is None:
            return None
        account = await accounts.find_or_create_account(session, portal.requests, email)
        signed_in = await _start(portal, session, account)
    log.info("signed in with link", account_id=str(account.id))
    return signed_in


async def sign_in_with_password(
    portal: Portal, email: str, password: str, client_ip: str
) -> SignedIn | SignInFailure:
    """Check the password and start a session; failures count towards the rate limits."""
    by_address, by_ip = _sign_in_limits(portal)
    async with unit_of_work(portal.sessions) as session:
        if await is_exceeded(session, by_ip, client_ip) or await is_exceeded(
            session, by_address, email
        ):
            log.warning("password sign-in rate-limited", client_ip=client_ip)
            return SignInFailure.RATE_LIMITED

        found = await accounts.find_account(session, email)
        password_hash = found[1] if found is not None else None
        if found is None or not verify_password(password_hash, password):
            await record_hit(session, by_ip, client_ip)
            await record_hit(session, by_address, email)
            log.info("password sign-in failed", client_ip=client_ip)
            return SignInFailure.INVALID

        account = found[0]
        if password_hash is not None and needs_rehash(password_hash):
            await accounts.replace_password_hash(session, account.id, hash_password(password))
        await clear_hits(session, by_address, email)
        signed_in = await _start(portal, session, account)
    log.info("signed in with password", account_id=str(account.id))
    return signed_in


async def reset_password(portal: Portal, token: str, new_password: str) -> SignedIn | None:
    """Consume a reset link, set the password, end every other session and start a new one.

    Ending the other sessions locks out anyone who used the old password.
    """
    async with unit_of_work(portal.sessions) as session:
        email = await accounts.consume_one_time_token(session, accounts.PASSWORD_RESET, token)
        if email is None:
            return None
        found = await accounts.find_account(session, email)
        if found is None:
            return None
        account = found[0]
        await accounts.set_password(session, account.id, new_password)
        ended = await end_all_sessions(session, account.id)
        signed_in = await _start(portal, session, account)
    log.info("password reset", account_id=str(account.id), sessions_ended=ended)
    return signed_in


async def change_password(
    portal: Portal, account: Account, current_password: str, new_password: str
) -> str | None:
    """Set a new password; return why it was not set, or None when it was.

    An account that has a password must confirm it, so a left-open browser is not enough
    to take the account over.
    """
    problem = password_problem(new_password, portal.settings.min_password_length)
    if problem is not None:
        return problem

    async with unit_of_work(portal.sessions) as session:
        found = await accounts.find_account(session, account.email)
        if found is None:
            return "The account no longer exists."
        stored_hash = found[1]
        if stored_hash is not None and not verify_password(stored_hash, current_password):
            return "The current password is not correct."
        await accounts.set_password(session, account.id, new_password)
    log.info("password changed", account_id=str(account.id))
    return None


async def _start(portal: Portal, session: AsyncSession, account: Account) -> SignedIn:
    await delete_expired_sessions(session, account.id)
    lifetime = timedelta(days=portal.settings.session_days)
    token = await start_session(session, account.id, lifetime)
    return SignedIn(token=token, account=account)
