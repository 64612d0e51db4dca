"""The signed-in customer's new-ticket page and the anonymous web form."""

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from helpdesk_contracts.messages import EmailAddress, IntakeForm
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.logging import get_logger
from portal_api.accounts import normalise_email
from portal_api.context import PortalDependency
from portal_api.form_input import input_name
from portal_api.rate_limits import Limit, is_exceeded, record_hit
from portal_api.spam_guard import (
    HONEYPOT_FIELD,
    STARTED_FIELD,
    fill_time_problem,
    honeypot_filled,
    sign_start,
)
from portal_api.web.auth import required_account, viewer_of
from portal_api.web.rendering import render
from portal_api.web.security import client_ip
from portal_api.web.submissions import choose_form, load_forms, submit_ticket

log = get_logger(__name__)

FormParameter = Annotated[str | None, QueryParameter(name="form", required=False)]
MAX_NAME_LENGTH = 200


def _form_context(
    forms: tuple[IntakeForm, ...],
    form: IntakeForm | None,
    errors: dict[str, str],
    entered: dict[str, Any],
) -> dict[str, Any]:
    return {
        "forms": forms,
        "form": form,
        "errors": errors,
        "entered": entered,
        "input_name": input_name,
    }


class NewTicketController(Controller):
    """A new ticket from a signed-in customer, with an intake form of their choice."""

    @get("/tickets/new")
    async def new_ticket_page(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDependency,
        form_id: FormParameter = None,
    ) -> Template:
        await required_account(request, portal)
        forms = await load_forms(portal, anonymous=False)
        form = choose_form(forms, form_id)
        return render(
            request, portal.settings, "new_ticket.html", **_form_context(forms, form, {}, {})
        )

    @post("/tickets/new")
    async def submit(
        self, request: Request[Any, Any, Any], portal: PortalDependency
    ) -> Template | Redirect:
        account = await required_account(request, portal)
        data = await request.form()
        forms = await load_forms(portal, anonymous=False)
        raw_form_id = data.get("form_id", "")
        form = choose_form(forms, raw_form_id if isinstance(raw_form_id, str) else None)

        submission = await submit_ticket(portal, data, form, viewer=viewer_of(account))
        if submission.number is not None:
            return Redirect(path=f"/tickets/{submission.number}", status_code=303)
        return render(
            request,
            portal.settings,
            "new_ticket.html",
            status_code=400,
            **_form_context(forms, form, submission.errors, submission.entered),
        )


class WebFormController(Controller):
    """The contact form for people without an account; the ticket's replies go by mail."""

    @get("/contact")
    async def contact_page(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDependency,
        form_id: FormParameter = None,
    ) -> Template:
        forms = await load_forms(portal, anonymous=True)
        form = choose_form(forms, form_id)
        return self._page(request, portal, forms, form, {}, {})

    @post("/contact")
    async def contact(self, request: Request[Any, Any, Any], portal: PortalDependency) -> Template:
        data = await request.form()
        ip = client_ip(request, portal.settings)

        # A filled honeypot gets the normal thank-you page, so the bot learns nothing.
        if honeypot_filled(str(data.get(HONEYPOT_FIELD, ""))):
            log.info("web form honeypot filled", client_ip=ip)
            return render(request, portal.settings, "contact_sent.html", number=None)

        forms = await load_forms(portal, anonymous=True)
        raw_form_id = data.get("form_id", "")
        form = choose_form(forms, raw_form_id if isinstance(raw_form_id, str) else None)
        name = str(data.get("name", "")).strip()[:MAX_NAME_LENGTH]
        raw_email = str(data.get("email", "")).strip()
        entered = {
            "name": name,
            "email": raw_email,
            "subject": str(data.get("subject", "")),
            "text_body": str(data.get("text_body", "")),
        }

        timing = fill_time_problem(
            portal.secret_key,
            str(data.get(STARTED_FIELD, "")),
            portal.settings.web_form_min_fill_seconds,
        )
        if timing is not None:
            log.info("web form rejected by fill time", client_ip=ip)
            return self._page(request, portal, forms, form, {"form": timing}, entered, 400)

        if await self._rate_limited(portal, ip):
            log.warning("web form rate-limited", client_ip=ip)
            error = "Too many requests were sent from your network. Please try again later."
            return self._page(request, portal, forms, form, {"form": error}, entered, 429)

        email = normalise_email(raw_email)
        known_errors = {}
        if email is None:
            known_errors["email"] = (
                "Enter the email address we should answer, such as name@example.com."
            )

        sender = EmailAddress(address=email, name=name) if email is not None else None
        submission = await submit_ticket(
            portal, data, form, sender=sender, known_errors=known_errors
        )
        if submission.number is None:
            entered.update(submission.entered)
            # The form keeps the time it was first shown: a person correcting a mistake
            # is no bot, and a new time would reject a quick resend as too fast.
            started = str(data.get(STARTED_FIELD, ""))
            return self._page(
                request, portal, forms, form, submission.errors, entered, 400, started
            )
        return render(request, portal.settings, "contact_sent.html", number=submission.number)

    async def _rate_limited(self, portal: PortalDependency, ip: str) -> bool:
        settings = portal.settings
        limit = Limit("web_form_ip", settings.web_form_per_ip, settings.web_form_window_seconds)
        async with unit_of_work(portal.sessions) as session:
            if await is_exceeded(session, limit, ip):
                return True
            await record_hit(session, limit, ip)
        return False

    def _page(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDependency,
        forms: tuple[IntakeForm, ...],
        form: IntakeForm | None,
        errors: dict[str, str],
        entered: dict[str, Any],
        status_code: int = 200,
        started_value: str | None = None,
    ) -> Template:
        return render(
            request,
            portal.settings,
            "contact.html",
            status_code=status_code,
            honeypot_field=HONEYPOT_FIELD,
            started_field=STARTED_FIELD,
            started_value=started_value or sign_start(portal.secret_key),
            **_form_context(forms, form, errors, entered),
        )
