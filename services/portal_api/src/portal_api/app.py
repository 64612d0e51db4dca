"""Assembly of portal_api: runtime, live-update hub, pages, JSON API and security."""

import secrets
from pathlib import Path

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig
from nats.aio.client import Client as NatsClient

from helpdesk_runtime.health import health_router
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.service import ServiceRuntime
from portal_api.context import Portal
from portal_api.housekeeping import sweep_forever
from portal_api.live import LiveHub
from portal_api.models import SCHEMA, outbox
from portal_api.settings import PortalSettings
from portal_api.shutdown_signals import end_on_exit_signals
from portal_api.web.account_pages import AccountController
from portal_api.web.api import TicketApiController
from portal_api.web.auth import SignInRequiredError, handle_sign_in_required
from portal_api.web.form_pages import NewTicketController, WebFormController
from portal_api.web.live_routes import LiveController
from portal_api.web.rendering import PORTAL_EXCEPTION_HANDLERS
from portal_api.web.security import security_headers_hook
from portal_api.web.sign_in_pages import SignInController
from portal_api.web.static_routes import static_handlers
from portal_api.web.ticket_pages import TicketPagesController

SERVICE_NAME = "portal_api"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
# Room for the form fields besides the largest allowed set of uploads.
FORM_OVERHEAD_BYTES = 1024 * 1024

log = get_logger(__name__)


def build_portal(settings: PortalSettings) -> Portal:
    """Create the runtime (with the account-mail outbox) and the live hub it feeds."""
    runtime = ServiceRuntime(
        SERVICE_NAME, settings, package="portal_api", schema=SCHEMA, outbox=outbox
    )
    hub = LiveHub(settings.max_live_connections)

    async def subscribe_live(connection: NatsClient) -> None:
        await hub.start(connection)
        end_on_exit_signals(hub.close_all)

    runtime.add_startup_hook(subscribe_live)

    async def sweep() -> None:
        await sweep_forever(runtime.sessions, settings)

    runtime.add_background_job("portal-housekeeping", sweep)

    secret_key = settings.secret_key
    if not secret_key:
        # CSRF tokens and web-form timestamps then survive neither a restart nor a move
        # to another replica; production sets HELPDESK_SECRET_KEY.
        log.warning("no secret_key set, using a random one for this process")
        secret_key = secrets.token_hex(32)
    return Portal(settings=settings, runtime=runtime, hub=hub, secret_key=secret_key)


def create_app(settings: PortalSettings) -> Litestar:
    """Build the Litestar application of portal_api."""
    portal = build_portal(settings)
    max_body = settings.max_attachments * settings.max_attachment_bytes + FORM_OVERHEAD_BYTES
    app = Litestar(
        route_handlers=[
            health_router(SERVICE_NAME, portal.runtime),
            SignInController,
            TicketPagesController,
            NewTicketController,
            WebFormController,
            AccountController,
            LiveController,
            TicketApiController,
            *static_handlers(settings),
        ],
        dependencies={"portal": Provide(lambda: portal, sync_to_thread=False, use_cache=True)},
        exception_handlers={
            **PORTAL_EXCEPTION_HANDLERS,
            SignInRequiredError: handle_sign_in_required,
        },
        before_send=[security_headers_hook(settings)],
        csrf_config=CSRFConfig(
            secret=secret_key_of(portal),
            cookie_name="portal_csrf",
            cookie_secure=settings.cookie_secure,
            cookie_httponly=False,
            cookie_samesite="lax",
            exclude=["/health", "/ready", "/metrics"],
        ),
        template_config=TemplateConfig(directory=TEMPLATE_DIR, engine=JinjaTemplateEngine),
        request_max_body_size=max_body,
        lifespan=[portal.runtime.lifespan],
        openapi_config=OpenAPIConfig(
            title="Helpdesk portal_api", version="0.1.0", path="/api/schema"
        ),
    )
    app.state.portal_settings = settings
    return app


def secret_key_of(portal: Portal) -> str:
    """Return the CSRF secret: the portal secret, separated from its other uses by a label."""
    return f"csrf:{portal.secret_key}"
