"""`/health` (the process runs), `/ready` (its database and NATS answer) and `/metrics`."""

from typing import Any, Protocol

from litestar import MediaType, Response, Router, get

from helpdesk_runtime.metrics import render_all


class ReadinessProbe(Protocol):
    async def check_ready(self) -> dict[str, str]:
        """Return a status string per dependency; "ok" means ready."""
        ...


def health_router(service: str, probe: ReadinessProbe) -> Router:
    """Build the router with the health, readiness and metrics endpoints."""

    @get("/health", include_in_schema=False, sync_to_thread=False)
    def health() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @get("/ready", include_in_schema=False)
    async def ready() -> Response[dict[str, Any]]:
        checks = await probe.check_ready()
        is_ready = all(state == "ok" for state in checks.values())
        body = {"status": "ok" if is_ready else "unavailable", "service": service, "checks": checks}
        return Response(body, status_code=200 if is_ready else 503)

    @get("/metrics", include_in_schema=False, media_type=MediaType.TEXT, sync_to_thread=False)
    def metrics() -> str:
        return render_all()

    return Router(path="/", route_handlers=[health, ready, metrics])
