"""Assembly of sla_service: runtime, ticket event consumers and HTTP API."""

from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from helpdesk_runtime.health import health_router
from helpdesk_runtime.problems import EXCEPTION_HANDLERS
from helpdesk_runtime.service import ServiceRuntime
from sla_service.api import (
    CalendarController,
    PolicyController,
    ReportController,
    TicketSlaController,
    session_dependency,
)
from sla_service.clock import Clock, SystemClock
from sla_service.consumers import register_ticket_consumers
from sla_service.models import SCHEMA, outbox
from sla_service.scheduler import run_scheduler
from sla_service.settings import SlaSettings

SERVICE_NAME = "sla_service"


def build_runtime(settings: SlaSettings, clock: Clock | None = None) -> ServiceRuntime:
    """Create the runtime, register the ticket event consumers and the breach scheduler."""
    runtime = ServiceRuntime(
        SERVICE_NAME, settings, package="sla_service", schema=SCHEMA, outbox=outbox
    )
    register_ticket_consumers(runtime, settings.warning_fractions())
    scheduler_clock = clock or SystemClock()

    async def scheduler() -> None:
        await run_scheduler(runtime.sessions, scheduler_clock, settings.sla_scheduler_batch_size)

    runtime.add_background_job("sla-scheduler", scheduler)
    return runtime


def create_app(settings: SlaSettings, clock: Clock | None = None) -> Litestar:
    """Build the Litestar application of sla_service; `clock` replaces the system clock."""
    runtime = build_runtime(settings, clock)
    return Litestar(
        route_handlers=[
            health_router(SERVICE_NAME, runtime),
            PolicyController,
            CalendarController,
            TicketSlaController,
            ReportController,
        ],
        dependencies=session_dependency(runtime.sessions, settings.warning_fractions()),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[runtime.lifespan],
        openapi_config=OpenAPIConfig(title="Helpdesk sla_service", version="0.1.0"),
    )
