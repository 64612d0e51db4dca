"""Assembly of customer_service: runtime, request/reply handlers, consumers and HTTP API."""

from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from customer_service.account_context import AccountContextController, build_account_context
from customer_service.api import ContactController, CustomerController, session_dependency
from customer_service.contact_scope import load_contact_scope
from customer_service.domains import load_free_mail_domains
from customer_service.enrichment import DomainPolicy, resolve_contact
from customer_service.imports import ImportController
from customer_service.merging import MergeController
from customer_service.models import SCHEMA, outbox
from customer_service.onboarding import OnboardingController
from customer_service.settings import CustomerSettings
from customer_service.ticket_summaries import register_ticket_summaries
from customer_service.tiers import TierController
from customer_service.time_entries import TimeEntryController
from helpdesk_contracts import subjects
from helpdesk_contracts.messages import (
    AccountContextReply,
    AccountContextRequest,
    ContactScopeReply,
    ContactScopeRequest,
    ErrorReply,
    ResolveContactReply,
    ResolveContactRequest,
)
from helpdesk_runtime.consumers import serve_requests
from helpdesk_runtime.health import health_router
from helpdesk_runtime.problems import EXCEPTION_HANDLERS
from helpdesk_runtime.service import ServiceRuntime

SERVICE_NAME = "customer_service"


def build_runtime(settings: CustomerSettings) -> ServiceRuntime:
    """Create the runtime, register the request handlers and the ticket-event consumers."""
    runtime = ServiceRuntime(
        SERVICE_NAME, settings, package="customer_service", schema=SCHEMA, outbox=outbox
    )
    policy = DomainPolicy(
        free_mail=load_free_mail_domains(settings.free_mail_domains_file),
        support=settings.support_domain_set(),
        plus_addressing=settings.plus_addressing,
    )

    # Resolving runs only statements that are atomic on their own, so it needs no
    # transaction. A known address then costs one SELECT and no BEGIN or COMMIT.
    autocommit = runtime.engine.execution_options(isolation_level="AUTOCOMMIT")

    async def handle_resolve(request: ResolveContactRequest) -> ResolveContactReply:
        async with autocommit.connect() as connection:
            return await resolve_contact(connection, request.address, request.display_name, policy)

    async def handle_account_context(request: AccountContextRequest) -> AccountContextReply:
        async with runtime.sessions() as session:
            return await build_account_context(session, request)

    async def handle_contact_scope(request: ContactScopeRequest) -> ContactScopeReply:
        # Every portal request requests the scope, so it reads without a transaction.
        async with autocommit.connect() as connection:
            return await load_contact_scope(connection, request.contact_id)

    serve_requests(
        runtime,
        subject=subjects.CUSTOMER_RESOLVE_CONTACT,
        queue=SERVICE_NAME,
        request_type=ResolveContactRequest,
        handler=handle_resolve,
        error_reply=lambda error: ErrorReply(error=error),
    )
    serve_requests(
        runtime,
        subject=subjects.CUSTOMER_ACCOUNT_CONTEXT,
        queue=SERVICE_NAME,
        request_type=AccountContextRequest,
        handler=handle_account_context,
        error_reply=lambda error: ErrorReply(error=error),
    )
    serve_requests(
        runtime,
        subject=subjects.CUSTOMER_CONTACT_SCOPE,
        queue=SERVICE_NAME,
        request_type=ContactScopeRequest,
        handler=handle_contact_scope,
        error_reply=lambda error: ErrorReply(error=error),
    )
    register_ticket_summaries(runtime)
    return runtime


def create_app(settings: CustomerSettings) -> Litestar:
    """Build the Litestar application of customer_service."""
    runtime = build_runtime(settings)
    return Litestar(
        route_handlers=[
            health_router(SERVICE_NAME, runtime),
            CustomerController,
            ContactController,
            MergeController,
            TierController,
            OnboardingController,
            TimeEntryController,
            AccountContextController,
            ImportController,
        ],
        dependencies=session_dependency(runtime.sessions),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[runtime.lifespan],
        openapi_config=OpenAPIConfig(title="Helpdesk customer_service", version="0.1.0"),
    )
