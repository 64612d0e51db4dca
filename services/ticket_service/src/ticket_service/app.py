"""Assembly of ticket_service: runtime, consumers, enrichment retries and the agent API."""

from datetime import timedelta

from litestar import Litestar, Router
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components

from helpdesk_contracts.messages import EmailAddress
from helpdesk_runtime.health import health_router
from helpdesk_runtime.problems import EXCEPTION_HANDLERS
from helpdesk_runtime.service import ServiceRuntime
from ticket_service.api.agents import AgentController, TeamController
from ticket_service.api.authentication import (
    PUBLIC_PATHS,
    SECURITY_SCHEME,
    SECURITY_SCHEME_NAME,
    AgentAuthentication,
    AuthenticationFailedError,
    PermissionDeniedError,
    handle_authentication_failed,
    handle_permission_denied,
    requires,
)
from ticket_service.api.bulk import BulkController
from ticket_service.api.categories import CategoryController
from ticket_service.api.intake_forms import IntakeFormController
from ticket_service.api.problems import handle_ticket_error
from ticket_service.api.routing_rules import RoutingRuleController
from ticket_service.api.set_aside_replies import SetAsideReplyController
from ticket_service.api.ticket_fields import TicketFieldsController
from ticket_service.api.tickets import TicketController
from ticket_service.auto_close import run_auto_close
from ticket_service.consumers import register_consumers
from ticket_service.customer_context import AccountContextClient
from ticket_service.customer_updates import register_customer_updates
from ticket_service.enrichment import ContactResolver, run_enrichment_retries
from ticket_service.errors import TicketError
from ticket_service.mail_bounces import register_mail_bounces
from ticket_service.models import SCHEMA, outbox
from ticket_service.portal_requests import register_portal_requests
from ticket_service.portal_scope import ContactScopeClient
from ticket_service.replies import OutboundIdentity
from ticket_service.roles import Permission
from ticket_service.settings import TicketSettings
from ticket_service.sla_breaches import register_sla_breaches

SERVICE_NAME = "ticket_service"


def build_runtime(settings: TicketSettings) -> ServiceRuntime:
    """Create the runtime, register the consumers and the background jobs."""
    runtime = ServiceRuntime(
        SERVICE_NAME, settings, package="ticket_service", schema=SCHEMA, outbox=outbox
    )
    resolver = contact_resolver(runtime, settings)
    register_consumers(runtime, settings, resolver)
    register_customer_updates(runtime)
    register_mail_bounces(runtime)
    register_sla_breaches(runtime)
    scopes = ContactScopeClient(lambda: runtime.nats, settings.contact_scope_timeout_seconds)
    register_portal_requests(runtime, scopes, resolver, settings.support_name)

    async def retry_enrichment() -> None:
        await run_enrichment_retries(runtime.sessions, resolver, settings.enrichment_retry_seconds)

    runtime.add_background_job("enrichment-retry", retry_enrichment)

    async def auto_close() -> None:
        resolved_for = timedelta(days=settings.auto_close_days)
        await run_auto_close(runtime.sessions, resolved_for, settings.auto_close_interval_seconds)

    runtime.add_background_job("auto-close", auto_close)
    return runtime


def contact_resolver(runtime: ServiceRuntime, settings: TicketSettings) -> ContactResolver:
    """Return a resolver that sends requests over the runtime's NATS connection."""
    return ContactResolver(lambda: runtime.nats, settings.resolve_contact_timeout_seconds)


def create_app(settings: TicketSettings) -> Litestar:
    """Build the Litestar application of ticket_service."""
    runtime = build_runtime(settings)
    resolver = contact_resolver(runtime, settings)
    account_context = AccountContextClient(
        lambda: runtime.nats, settings.customer_context_timeout_seconds
    )
    identity = OutboundIdentity(
        sender=EmailAddress(address=settings.support_address, name=settings.support_name),
        mail_domain=settings.mail_domain,
        team_senders={
            team: EmailAddress(address=address, name=settings.support_name)
            for team, address in settings.team_sender_addresses().items()
        },
    )
    # Every route of the agent API needs an authenticated agent allowed to work tickets;
    # routes that change configuration or manage agents add their own guard.
    agent_api = Router(
        path="/",
        route_handlers=[
            TicketController,
            TicketFieldsController,
            CategoryController,
            RoutingRuleController,
            BulkController,
            IntakeFormController,
            AgentController,
            TeamController,
            SetAsideReplyController,
        ],
        guards=[requires(Permission.WORK_TICKETS)],
        security=[{SECURITY_SCHEME_NAME: []}],
    )
    authentication = DefineMiddleware(
        AgentAuthentication, sessions=lambda: runtime.sessions, exclude=PUBLIC_PATHS
    )
    return Litestar(
        route_handlers=[health_router(SERVICE_NAME, runtime), agent_api],
        middleware=[authentication],
        dependencies={
            "sessions": Provide(lambda: runtime.sessions, sync_to_thread=False),
            "outbound_identity": Provide(lambda: identity, sync_to_thread=False),
            "contact_resolver": Provide(lambda: resolver, sync_to_thread=False),
            "account_context": Provide(lambda: account_context, sync_to_thread=False),
        },
        exception_handlers={
            **EXCEPTION_HANDLERS,
            TicketError: handle_ticket_error,
            AuthenticationFailedError: handle_authentication_failed,
            PermissionDeniedError: handle_permission_denied,
        },
        lifespan=[runtime.lifespan],
        openapi_config=OpenAPIConfig(
            title="Helpdesk ticket_service",
            version="0.1.0",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin()],
            components=Components(security_schemes={SECURITY_SCHEME_NAME: SECURITY_SCHEME}),
        ),
    )
