"""Assembly of portal_api."""

from litestar import Litestar

from helpdesk_runtime.health import health_router
from helpdesk_runtime.problems import EXCEPTION_HANDLERS
from helpdesk_runtime.service import ServiceRuntime
from portal_api.models import SCHEMA
from portal_api.settings import PortalSettings

SERVICE_NAME = "portal_api"


def create_app(settings: PortalSettings) -> Litestar:
    """Build the Litestar application of portal_api."""
    runtime = ServiceRuntime(SERVICE_NAME, settings, package="portal_api", schema=SCHEMA)
    return Litestar(
        route_handlers=[health_router(SERVICE_NAME, runtime)],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[runtime.lifespan],
    )
