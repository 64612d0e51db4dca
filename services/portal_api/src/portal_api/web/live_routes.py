"""Server-sent events for the ticket list and the ticket page."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import ServerSentEvent, ServerSentEventMessage

from helpdesk_contracts.messages import ContactScopeRequest, PortalTicketListRequest
from helpdesk_runtime.logging import get_logger
from portal_api.accounts import Account
from portal_api.context import PortalDependency
from portal_api.live import LiveCapacityError, LiveHub, LiveListener, ViewerScope
from portal_api.web.auth import required_account, viewer_of
from portal_api.web.ticket_access import load_ticket

log = get_logger(__name__)

# A comment line this often keeps proxies from closing an idle stream.
KEEP_ALIVE_SECONDS = 15.0
# Milliseconds the browser waits before reconnecting a dropped stream.
RETRY_MILLISECONDS = 3000
# Tickets of the list the stream follows from the start: the newest ones, as many as
# ticket_service returns in one page of this size.
SEED_TICKETS = 100


async def _stream(
    hub: LiveHub, listener: LiveListener, lifetime_seconds: float
) -> AsyncIterator[ServerSentEventMessage]:
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + lifetime_seconds
    try:
        yield ServerSentEventMessage(data=None, comment="connected", retry=RETRY_MILLISECONDS)
        while loop.time() < ends_at:
            wait = min(KEEP_ALIVE_SECONDS, max(ends_at - loop.time(), 0.0))
            try:
                update = await asyncio.wait_for(listener.queue.get(), timeout=wait)
            except TimeoutError:
                yield ServerSentEventMessage(data=None, comment="keep-alive")
                continue
            if update is None:
                return
            yield ServerSentEventMessage(event=update.kind, data=update.json_data)
    finally:
        hub.remove(listener)


async def _viewer_scope(portal: PortalDependency, account: Account) -> ViewerScope:
    reply = await portal.requests.contact_scope(ContactScopeRequest(contact_id=account.contact_id))
    return ViewerScope(
        contact_id=account.contact_id,
        customer_id=reply.customer_id if reply.found else None,
        sees_all_customer_tickets=reply.found and reply.sees_all_customer_tickets,
    )


def _open(portal: PortalDependency, listener: LiveListener) -> ServerSentEvent:
    try:
        portal.hub.add(listener)
    except LiveCapacityError as exc:
        log.warning("live connection refused", error=str(exc))
        raise HTTPException(status_code=503, detail="Live updates are busy; reload later.") from exc
    return ServerSentEvent(
        _stream(portal.hub, listener, portal.settings.live_stream_seconds),
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


class LiveController(Controller):
    """Event streams; each follows only tickets the signed-in viewer may see."""

    @get("/live/tickets")
    async def list_events(
        self, request: Request[Any, Any, Any], portal: PortalDependency
    ) -> ServerSentEvent:
        account = await required_account(request, portal)
        scope = await _viewer_scope(portal, account)
        page = await portal.requests.list_tickets(
            PortalTicketListRequest(viewer=viewer_of(account), limit=SEED_TICKETS)
        )
        listener = LiveListener(
            scope=scope,
            ticket_ids={ticket.ticket_id for ticket in page.tickets},
            follows_new_tickets=True,
        )
        return _open(portal, listener)

    @get("/live/tickets/{number:int}")
    async def ticket_events(
        self, request: Request[Any, Any, Any], portal: PortalDependency, number: FromPath[int]
    ) -> ServerSentEvent:
        account = await required_account(request, portal)
        ticket = await load_ticket(portal, account, number)
        listener = LiveListener(
            scope=ViewerScope(
                contact_id=account.contact_id, customer_id=None, sees_all_customer_tickets=False
            ),
            ticket_ids={ticket.ticket_id},
            follows_new_tickets=False,
        )
        return _open(portal, listener)
