"""Assembly of ticket_service: runtime, consumers, enrichment retries and the agent API."""

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from helpdesk_contracts.messages import EmailAddress
from helpdesk_runtime.health import health_router
from helpdesk_runtime.problems import EXCEPTION_HANDLERS
from helpdesk_runtime.service import ServiceRuntime
from ticket_service.api.problems import handle_ticket_error
from ticket_service.api.tickets import TicketController
from ticket_service.consumers import register_consumers
from ticket_service.enrichment import ContactResolver, run_enrichment_retries
from ticket_service.errors import TicketError
from ticket_service.models import SCHEMA, outbox
from ticket_service.replies import OutboundIdentity
from ticket_service.settings import TicketSettings

SERVICE_NAME = "ticket_service"


def build_runtime(settings: TicketSettings) -> ServiceRuntime:
    """Create the runtime, register the consumers and the enrichment retry job."""
    runtime = ServiceRuntime(
        SERVICE_NAME, settings, package="ticket_service", schema=SCHEMA, outbox=outbox
    )
    resolver = ContactResolver(lambda: runtime.nats, settings.resolve_contact_timeout_seconds)
    register_consumers(runtime, settings, resolver)

    async def retry_enrichment() -> None:
        await run_enrichment_retries(runtime.sessions, resolver, settings.enrichment_retry_seconds)

    runtime.add_background_job("enrichment-retry", retry_enrichment)
    return runtime


def create_app(settings: TicketSettings) -> Litestar:
    """Build the Litestar application of ticket_service."""
    runtime = build_runtime(settings)
    identity = OutboundIdentity(
        sender=EmailAddress(address=settings.support_address, name=settings.support_name),
        mail_domain=settings.mail_domain,
    )
    return Litestar(
        route_handlers=[health_router(SERVICE_NAME, runtime), TicketController],
        dependencies={
            "sessions": Provide(lambda: runtime.sessions, sync_to_thread=False),
            "outbound_identity": Provide(lambda: identity, sync_to_thread=False),
        },
        exception_handlers={**EXCEPTION_HANDLERS, TicketError: handle_ticket_error},
        lifespan=[runtime.lifespan],
        openapi_config=OpenAPIConfig(
            title="Helpdesk ticket_service",
            version="0.1.0",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin()],
        ),
    )
