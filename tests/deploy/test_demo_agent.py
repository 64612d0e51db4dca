"""The demo admin of `make run`: created once, with a new working key on every start."""

import httpx

from deploy.local_runner.demo_agent import DEMO_HANDLE, demo_admin_key
from tests.ticket_service.helpers import (
    bearer,
    running_ticket_service,
    ticket_settings,
)


async def test_demo_key_replaced_each_start(nats_url: str, database_url: str) -> None:
    async with running_ticket_service(ticket_settings(nats_url, database_url)) as base_url:
        first = await demo_admin_key(database_url)
        second = await demo_admin_key(database_url)
        async with httpx.AsyncClient(base_url=base_url) as client:
            with_first = await client.get("/agents/me", headers=bearer(first.key))
            with_second = await client.get("/agents/me", headers=bearer(second.key))
            agents = await client.get(
                "/agents", params={"include_inactive": True}, headers=bearer(second.key)
            )

    assert first.created_agent is True
    assert second.created_agent is False
    assert with_first.status_code == 401, with_first.text
    assert with_second.status_code == 200, with_second.text
    assert (with_second.json()["handle"], with_second.json()["role"]) == (DEMO_HANDLE, "admin")
    assert [agent["handle"] for agent in agents.json()].count(DEMO_HANDLE) == 1
