"""The account page: set or change the password, sign out everywhere."""

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Template

from portal_api.context import PortalDependency
from portal_api.sign_in import change_password
from portal_api.web.auth import required_account
from portal_api.web.rendering import render


class AccountController(Controller):
    """Pages about the signed-in customer's own account."""

    @get("/account")
    async def account_page(
        self, request: Request[Any, Any, Any], portal: PortalDependency
    ) -> Template:
        await required_account(request, portal)
        return render(request, portal.settings, "account.html", error=None, saved=False)

    @post("/account/password")
    async def set_password(
        self, request: Request[Any, Any, Any], portal: PortalDependency
    ) -> Template:
        account = await required_account(request, portal)
        form = await request.form()
        password = str(form.get("password", ""))
        error: str | None
        if password != str(form.get("password_confirm", "")):
            error = "The two new passwords are not the same."
        else:
            error = await change_password(
                portal, account, str(form.get("current_password", "")), password
            )
        if error is not None:
            return render(
                request, portal.settings, "account.html", status_code=400, error=error, saved=False
            )

        # The page header shows whether a password is set; reload the account for it.
        request.scope["state"].pop("portal_account", None)
        await required_account(request, portal)
        return render(request, portal.settings, "account.html", error=None, saved=True)
