"""portal_api start-up against real NATS and PostgreSQL."""

import httpx

from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.settings import load_settings
from portal_api.app import create_app
from portal_api.settings import PortalSettings
from tests.support.servers import serving


async def test_ready_reports_dependencies(nats_url: str, database_url: str) -> None:
    settings = load_settings(
        PortalSettings, environ={}, nats_url=nats_url, database_url=database_url
    )

    async with serving(create_app(settings)) as base_url, httpx.AsyncClient() as client:
        health = await client.get(f"{base_url}/health")
        ready = await client.get(f"{base_url}/ready")

    assert health.status_code == 200
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "nats": "ok"}


async def test_ready_fails_without_database(nats_url: str) -> None:
    unreachable = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    settings = load_settings(
        PortalSettings,
        environ={},
        nats_url=nats_url,
        database_url=unreachable,
        run_migrations=False,
    )

    async with serving(create_app(settings)) as base_url, httpx.AsyncClient() as client:
        ready = await client.get(f"{base_url}/ready")

    assert ready.status_code == 503
    assert ready.json()["checks"]["database"].startswith("unavailable")
    assert ready.json()["checks"]["nats"] == "ok"
