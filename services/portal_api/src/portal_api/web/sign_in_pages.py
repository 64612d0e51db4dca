"""Pages to sign in with a password or an emailed link, reset a password and sign out."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from helpdesk_runtime.database import unit_of_work
from portal_api import accounts, sign_in
from portal_api.accounts import normalise_email
from portal_api.browser_sessions import SESSION_COOKIE, end_all_sessions, end_session
from portal_api.context import Portal, PortalDependency
from portal_api.passwords import password_problem
from portal_api.web.auth import (
    cleared_session_cookie,
    optional_account,
    required_account,
    safe_next,
    session_cookie,
)
from portal_api.web.rendering import render
from portal_api.web.security import client_ip

NextPath = Annotated[str | None, QueryParameter(name="next", required=False)]
TokenParameter = Annotated[str, QueryParameter(name="token")]

INVALID_LINK = "This link is not valid any more: it was used already or it expired."


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


class SignInController(Controller):
    """Sign-in, link, reset and sign-out pages."""

    @get("/sign-in")
    async def sign_in_page(
        self, request: Request[Any, Any, Any], portal: PortalDependency, next_path: NextPath = None
    ) -> Template | Redirect:
        if await optional_account(request, portal) is not None:
            return Redirect(path=safe_next(next_path), status_code=303)
        return render(request, portal.settings, "sign_in.html", next_path=safe_next(next_path))

    @post("/sign-in")
    async def sign_in(
        self, request: Request[Any, Any, Any], portal: PortalDependency
    ) -> Template | Redirect:
        form = await request.form()
        next_path = safe_next(_text(form, "next"))
        raw_email = _text(form, "email")
        email = normalise_email(raw_email)
        password = _text(form, "password")

        outcome: sign_in.SignedIn | sign_in.SignInFailure = sign_in.SignInFailure.INVALID
        if email is not None and password:
            outcome = await sign_in.sign_in_with_password(
                portal, email, password, client_ip(request, portal.settings)
            )
        if isinstance(outcome, sign_in.SignedIn):
            cookie = session_cookie(portal, outcome.token)
            return Redirect(path=next_path, status_code=303, cookies=[cookie])

        if outcome is sign_in.SignInFailure.RATE_LIMITED:
            error, status = (
                "Too many sign-in attempts. Wait a few minutes, or sign in with an emailed "
                "link instead.",
                429,
            )
        else:
            error, status = ("The email address or the password is not correct.", 400)
        return render(
            request,
            portal.settings,
            "sign_in.html",
            status_code=status,
            error=error,
            email=raw_email,
            next_path=next_path,
        )

    @get("/sign-in/email")
    async def link_request_page(
        self, request: Request[Any, Any, Any], portal: PortalDependency
    ) -> Template:
        return render(request, portal.settings, "request_link.html", purpose="sign_in")

    @post("/sign-in/email")
    async def request_link(
        self, request: Request[Any, Any, Any], portal: PortalDependency
    ) -> Template:
        return await _mail_link(request, portal, "sign_in", sign_in.request_sign_in_link)

    @get("/sign-in/link")
    async def link_page(
        self, request: Request[Any, Any, Any], portal: PortalDependency, token: TokenParameter = ""
    ) -> Template:
        # The link only shows a button: mail scanners that open links must not use it up.
        async with portal.sessions() as session:
            usable = bool(token) and await accounts.one_time_token_is_usable(
                session, accounts.SIGN_IN_LINK, token
            )
        if not usable:
            return render(
                request, portal.settings, "link_invalid.html", status_code=400, error=INVALID_LINK
            )
        return render(request, portal.settings, "confirm_link.html", token=token)

    @post("/sign-in/link")
    async def use_link(
        self, request: Request[Any, Any, Any], portal: PortalDependency
    ) -> Template | Redirect:
        form = await request.form()
        signed_in = await sign_in.sign_in_with_link(portal, _text(form, "token"))
        if signed_in is None:
            return render(
                request, portal.settings, "link_invalid.html", status_code=400, error=INVALID_LINK
            )
        cookie = session_cookie(portal, signed_in.token)
        return Redirect(path="/tickets", status_code=303, cookies=[cookie])

    @get("/password/forgot")
    async def forgot_page(
        self, request: Request[Any, Any, Any], portal: PortalDependency
    ) -> Template:
        return render(request, portal.settings, "request_link.html", purpose="reset")

    @post("/password/forgot")
    async def forgot(self, request: Request[Any, Any, Any], portal: PortalDependency) -> Template:
        return await _mail_link(request, portal, "reset", sign_in.request_password_reset)

    @get("/password/reset")
    async def reset_page(
        self, request: Request[Any, Any, Any], portal: PortalDependency, token: TokenParameter = ""
    ) -> Template:
        async with portal.sessions() as session:
            usable = bool(token) and await accounts.one_time_token_is_usable(
                session, accounts.PASSWORD_RESET, token
            )
        if not usable:
            return render(
                request, portal.settings, "link_invalid.html", status_code=400, error=INVALID_LINK
            )
        return render(request, portal.settings, "reset_password.html", token=token)

    @post("/password/reset")
    async def reset(
        self, request: Request[Any, Any, Any], portal: PortalDependency
    ) -> Template | Redirect:
        form = await request.form()
        token = _text(form, "token")
        password = _text(form, "password")
        problem = password_problem(password, portal.settings.min_password_length)
        if problem is None and password != _text(form, "password_confirm"):
            problem = "The two passwords are not the same."
        if problem is not None:
            return render(
                request,
                portal.settings,
                "reset_password.html",
                status_code=400,
                token=token,
                error=problem,
            )

        signed_in = await sign_in.reset_password(portal, token, password)
        if signed_in is None:
            return render(
                request, portal.settings, "link_invalid.html", status_code=400, error=INVALID_LINK
            )
        cookie = session_cookie(portal, signed_in.token)
        return Redirect(path="/tickets", status_code=303, cookies=[cookie])

    @post("/sign-out")
    async def sign_out(self, request: Request[Any, Any, Any], portal: PortalDependency) -> Redirect:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            async with unit_of_work(portal.sessions) as session:
                await end_session(session, token)
        return Redirect(path="/sign-in", status_code=303, cookies=[cleared_session_cookie(portal)])

    @post("/sign-out/everywhere")
    async def sign_out_everywhere(
        self, request: Request[Any, Any, Any], portal: PortalDependency
    ) -> Redirect:
        account = await required_account(request, portal)
        async with unit_of_work(portal.sessions) as session:
            await end_all_sessions(session, account.id)
        return Redirect(path="/sign-in", status_code=303, cookies=[cleared_session_cookie(portal)])


LinkMailer = Callable[[Portal, str, str], Awaitable[None]]


async def _mail_link(
    request: Request[Any, Any, Any], portal: Portal, purpose: str, send_link: LinkMailer
) -> Template:
    """Mail a sign-in or reset link to the address of the form, or show why it is invalid."""
    form = await request.form()
    raw_email = _text(form, "email")
    email = normalise_email(raw_email)
    if email is None:
        return render(
            request,
            portal.settings,
            "request_link.html",
            status_code=400,
            purpose=purpose,
            email=raw_email,
            error="Enter an email address, such as name@example.com.",
        )

    await send_link(portal, email, client_ip(request, portal.settings))
    return render(request, portal.settings, "link_sent.html", email=email)
