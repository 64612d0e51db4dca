"""The session cookie, and the dependencies that require or look up the signed-in account."""

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect

from helpdesk_contracts.messages import PortalViewer
from helpdesk_runtime.problems import problem_response
from portal_api.accounts import Account
from portal_api.browser_sessions import SESSION_COOKIE, signed_in_account
from portal_api.context import Portal
from portal_api.web.rendering import ACCOUNT_STATE_KEY, remember_account

_LOCAL_PATH = re.compile(r"/[A-Za-z0-9/_.~%?=&+-]*")


class SignInRequiredError(NotAuthorizedException):
    """Raised by a page or API call that needs a signed-in customer."""


def session_cookie(portal: Portal, token: str) -> Cookie:
    """Return the cookie that carries a new session's token."""
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        max_age=int(timedelta(days=portal.settings.session_days).total_seconds()),
        path="/",
        secure=portal.settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )


def cleared_session_cookie(portal: Portal) -> Cookie:
    """Return a cookie that makes the browser forget its session token."""
    return Cookie(
        key=SESSION_COOKIE,
        value="",
        max_age=0,
        path="/",
        secure=portal.settings.cookie_secure,
        httponly=True,
        samesite="lax",
    )


async def optional_account(request: Request[Any, Any, Any], portal: Portal) -> Account | None:
    """Return the signed-in account, or None; the lookup runs once per request."""
    state = request.scope.setdefault("state", {})
    if ACCOUNT_STATE_KEY in state:
        cached: Account | None = state[ACCOUNT_STATE_KEY]
        return cached

    token = request.cookies.get(SESSION_COOKIE)
    account = None
    if token:
        async with portal.sessions() as session:
            account = await signed_in_account(session, token)
    if account is not None:
        remember_account(request, account)
    else:
        state[ACCOUNT_STATE_KEY] = None
    return account


async def required_account(request: Request[Any, Any, Any], portal: Portal) -> Account:
    """Return the signed-in account, or raise `SignInRequiredError`."""
    account = await optional_account(request, portal)
    if account is None:
        raise SignInRequiredError(detail="Sign in to continue.")
    return account


def viewer_of(account: Account) -> PortalViewer:
    """Return the viewer ticket_service checks scope for."""
    return PortalViewer(contact_id=account.contact_id)


def handle_sign_in_required(
    request: Request[Any, Any, Any], exc: SignInRequiredError
) -> Response[Any]:
    """Redirect a page visitor to the sign-in page; return 401 problem details to the API."""
    if request.url.path.startswith("/api/"):
        return problem_response(request, 401, "Unauthorized", str(exc.detail))

    # Only a local path is kept, so the sign-in page cannot be made to redirect elsewhere.
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    query = urlencode({"next": target}) if request.method == "GET" else ""
    return Redirect(path="/sign-in" + (f"?{query}" if query else ""), status_code=303)


def safe_next(raw: str | None) -> str:
    """Return a local path to go to after sign-in; anything else becomes the ticket list.

    Only plain path characters are accepted: browsers drop tabs and newlines and read a
    backslash as a slash, so "/\t/host" or "/\\host" would leave the portal.
    """
    if raw and _LOCAL_PATH.fullmatch(raw) and not raw.startswith("//"):
        return raw
    return "/tickets"
