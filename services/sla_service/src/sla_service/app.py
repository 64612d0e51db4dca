"""Assembly of sla_service: runtime, ticket event consumers and HTTP API."""

from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from helpdesk_runtime.health import health_router
from helpdesk_runtime.problems import EXCEPTION_HANDLERS
from helpdesk_runtime.service import ServiceRuntime
from sla_service.api import (
    PolicyController,
    ReportController,
    TicketSlaController,
    session_dependency,
)
from sla_service.consumers import register_ticket_consumers
from sla_service.models import SCHEMA, outbox
from sla_service.settings import SlaSettings

SERVICE_NAME = "sla_service"


def build_runtime(settings: SlaSettings) -> ServiceRuntime:
    """Create the runtime and register the ticket event consumers."""
    runtime = ServiceRuntime(
        SERVICE_NAME, settings, package="sla_service", schema=SCHEMA, outbox=outbox
    )
    register_ticket_consumers(runtime)
    return runtime


def create_app(settings: SlaSettings) -> Litestar:
    """Build the Litestar application of sla_service."""
    runtime = build_runtime(settings)
    return Litestar(
        route_handlers=[
            health_router(SERVICE_NAME, runtime),
            PolicyController,
            TicketSlaController,
            ReportController,
        ],
        dependencies=session_dependency(runtime.sessions),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[runtime.lifespan],
        openapi_config=OpenAPIConfig(title="Helpdesk sla_service", version="0.1.0"),
    )
