"""The ticket list, the ticket page, replies and attachment downloads."""

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from portal_api.context import PortalDependency
from portal_api.uploads import present_files
from portal_api.web.auth import required_account
from portal_api.web.downloads import attachment_response
from portal_api.web.rendering import render
from portal_api.web.ticket_access import (
    STATUS_FILTERS,
    list_tickets,
    load_attachment,
    load_ticket,
    post_reply,
)


class TicketPagesController(Controller):
    """Pages of the signed-in customer's tickets."""

    @get("/")
    async def home(self) -> Redirect:
        return Redirect(path="/tickets", status_code=303)

    @get("/tickets")
    async def ticket_list(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDependency,
        status: Annotated[str, QueryParameter(name="status")] = "",
        search: Annotated[str, QueryParameter(name="q")] = "",
        after: Annotated[str | None, QueryParameter(name="after", required=False)] = None,
    ) -> Template:
        account = await required_account(request, portal)
        status_filter = status if status in STATUS_FILTERS else ""
        page = await list_tickets(portal, account, status_filter, search, after)
        return render(
            request,
            portal.settings,
            "ticket_list.html",
            tickets=page.tickets,
            next_cursor=page.next_cursor,
            status_filter=status_filter,
            search=search,
            is_first_page=not after,
        )

    @get("/tickets/{number:int}")
    async def ticket_page(
        self, request: Request[Any, Any, Any], portal: PortalDependency, number: FromPath[int]
    ) -> Template:
        account = await required_account(request, portal)
        ticket = await load_ticket(portal, account, number)
        return render(
            request,
            portal.settings,
            "ticket.html",
            ticket=ticket,
            labels=ticket.form_labels,
            errors={},
            entered="",
        )

    @post("/tickets/{number:int}/replies")
    async def reply(
        self, request: Request[Any, Any, Any], portal: PortalDependency, number: FromPath[int]
    ) -> Template | Redirect:
        account = await required_account(request, portal)
        form = await request.form()
        text = form.get("text_body", "")
        text = text if isinstance(text, str) else ""
        uploads = present_files(form.getall("attachments", []))

        outcome = await post_reply(portal, account, number, text, uploads)
        if outcome.errors:
            ticket = await load_ticket(portal, account, number)
            return render(
                request,
                portal.settings,
                "ticket.html",
                status_code=400,
                ticket=ticket,
                labels=ticket.form_labels,
                errors=outcome.errors,
                entered=text,
            )
        return Redirect(
            path=f"/tickets/{number}#interaction-{outcome.interaction_id}", status_code=303
        )

    @get("/tickets/{number:int}/attachments/{sha256:str}")
    async def attachment(
        self,
        request: Request[Any, Any, Any],
        portal: PortalDependency,
        number: FromPath[int],
        sha256: FromPath[str],
    ) -> Response[bytes]:
        account = await required_account(request, portal)
        info, content = await load_attachment(portal, account, number, sha256)
        return attachment_response(info, content)
