"""API keys of agents: every call authenticated, roles enforced, the acting agent audited."""

import asyncio
import hashlib
import os
import sys
import uuid
from typing import Any

import httpx
import pytest
from nats.js import JetStreamContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from helpdesk_runtime.database import async_database_url
from tests.ticket_service.helpers import (
    TEST_ADMIN,
    TicketsApi,
    agent_client,
    agent_key,
    bearer,
    open_ticket,
)
from ticket_service.api_keys import parse_key
from ticket_service.roles import AGENT_ROLE


def base_url_of(tickets: TicketsApi) -> str:
    return str(tickets.client.base_url)


def new_handle(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}"


async def create_agent(tickets: TicketsApi, handle: str, role: str = "agent") -> dict[str, Any]:
    body = {"handle": handle, "display_name": "Sam Sample", "email": f"{handle}@x.test"}
    response = await tickets.client.post("/agents", json={**body, "role": role})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def create_key(client: httpx.AsyncClient, handle: str) -> dict[str, Any]:
    response = await client.post(f"/agents/{handle}/keys", json={"label": "laptop"})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def get_as(tickets: TicketsApi, key: str, path: str = "/agents/me") -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url_of(tickets), headers=bearer(key)) as client:
        return await client.get(path)


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


async def test_call_without_key_rejected(tickets: TicketsApi) -> None:
    async with httpx.AsyncClient(base_url=base_url_of(tickets)) as anonymous:
        listed = await anonymous.get("/tickets")
        created = await anonymous.post("/tickets", json={"subject": "x"})
        basic = await anonymous.get("/tickets", headers={"Authorization": "Basic YTpi"})

    assert_unauthorized(listed)
    assert_unauthorized(created)
    assert_unauthorized(basic)


async def test_probes_and_schema_need_no_key(tickets: TicketsApi) -> None:
    async with httpx.AsyncClient(base_url=base_url_of(tickets)) as anonymous:
        responses = [await anonymous.get(path) for path in ("/health", "/ready", "/metrics")]
        schema = await anonymous.get("/schema/openapi.json")

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert schema.status_code == 200, schema.text
    document = schema.json()
    [scheme] = document["components"]["securitySchemes"].values()
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert document["paths"]["/tickets"]["get"]["security"] == [{"ApiKey": []}]


async def test_wrong_keys_rejected(tickets: TicketsApi) -> None:
    good = await create_key(tickets.client, TEST_ADMIN)
    parsed = parse_key(good["key"])
    assert parsed is not None
    key_id, secret = parsed
    wrong_secret = f"hdk_{key_id}_{secret[:-4]}AAAA"
    unknown_id = f"hdk_{uuid.uuid4().hex[:16]}_{secret}"

    responses = [
        await get_as(tickets, key) for key in ("nonsense", wrong_secret, unknown_id, "hdk__")
    ]

    for response in responses:
        assert_unauthorized(response)
    assert (await get_as(tickets, good["key"])).status_code == 200


async def test_revoked_key_rejected(tickets: TicketsApi) -> None:
    handle = new_handle("rev")
    await create_agent(tickets, handle)
    issued = await create_key(tickets.client, handle)
    before = await get_as(tickets, issued["key"])

    revoked = await tickets.client.post(f"/agents/{handle}/keys/{issued['key_id']}/revoke")
    after = await get_as(tickets, issued["key"])

    assert before.status_code == 200, before.text
    assert before.json()["handle"] == handle
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert_unauthorized(after)


async def test_inactive_agent_rejected(tickets: TicketsApi) -> None:
    handle = new_handle("gone")
    await create_agent(tickets, handle)
    issued = await create_key(tickets.client, handle)
    assert (await get_as(tickets, issued["key"])).status_code == 200

    deactivated = await tickets.client.post(f"/agents/{handle}/deactivate")

    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["active"] is False
    assert_unauthorized(await get_as(tickets, issued["key"]))


async def test_agent_role_gets_403_on_admin_routes(tickets: TicketsApi, database_url: str) -> None:
    handle = new_handle("plain")
    async with agent_client(base_url_of(tickets), database_url, handle, AGENT_ROLE) as agent:
        add_agent = await agent.post(
            "/agents", json={"handle": new_handle("x"), "display_name": "X", "email": "x@x.test"}
        )
        add_team = await agent.post("/teams", json={"name": new_handle("team")})
        add_rule = await agent.post("/routing-rules", json={"name": "mine"})
        others_keys = await agent.get(f"/agents/{TEST_ADMIN}/keys")
        own_key = await agent.post(f"/agents/{handle}/keys", json={"label": "second"})
        own_keys = await agent.get(f"/agents/{handle}/keys")
        tickets_page = await agent.get("/tickets")

    for rejected in (add_agent, add_team, add_rule, others_keys):
        assert rejected.status_code == 403, rejected.text
        assert rejected.headers["content-type"].startswith("application/problem+json")
    assert own_key.status_code == 201, own_key.text
    assert own_keys.status_code == 200, own_keys.text
    assert [key["label"] for key in own_keys.json()] == ["tests", "second"]
    assert tickets_page.status_code == 200, tickets_page.text


async def test_key_is_shown_once_and_listed_without_secret(tickets: TicketsApi) -> None:
    handle = new_handle("list")
    await create_agent(tickets, handle)
    issued = await create_key(tickets.client, handle)
    await get_as(tickets, issued["key"])

    listed = await tickets.client.get(f"/agents/{handle}/keys")

    assert issued["key"].startswith(f"hdk_{issued['key_id']}_")
    assert listed.status_code == 200, listed.text
    [entry] = listed.json()
    assert entry["key_id"] == issued["key_id"]
    assert "key" not in entry
    assert issued["key"] not in listed.text
    assert entry["last_used_at"] is not None


async def test_audit_records_the_agent_of_the_key(
    tickets: TicketsApi, js: JetStreamContext, database_url: str
) -> None:
    ticket = await open_ticket(tickets, js)
    handle = new_handle("real")
    async with agent_client(base_url_of(tickets), database_url, handle, AGENT_ROLE) as agent:
        patched = await agent.patch(
            f"/tickets/{ticket['id']}", json={"priority": "High", "actor": "someone.else"}
        )
        note = await agent.post(
            f"/tickets/{ticket['id']}/notes", json={"text": "Checked.", "author": "someone.else"}
        )

    assert patched.status_code == 200, patched.text
    assert [(e["field"], e["actor"]) for e in patched.json()["audit"]] == [("priority", handle)]
    assert note.status_code == 201, note.text
    assert note.json()["author"] == handle


async def test_assignment_needs_active_agent_and_known_team(
    tickets: TicketsApi, js: JetStreamContext
) -> None:
    ticket = await open_ticket(tickets, js)
    inactive = new_handle("left")
    await create_agent(tickets, inactive)
    await tickets.client.post(f"/agents/{inactive}/deactivate")
    path = f"/tickets/{ticket['id']}"

    unknown = await tickets.patch(ticket["id"], {"assigned_to": ["nobody.here"]})
    deactivated = await tickets.client.post(f"{path}/assignees", json={"agent": inactive})
    no_team = await tickets.patch(ticket["id"], {"assigned_team": "no-such-team"})
    bulk = await tickets.client.post(
        "/tickets/bulk",
        json={"tickets": [{"id": ticket["id"]}], "changes": {"add_assignee": "nobody.here"}},
    )
    rule = await tickets.client.post(
        "/routing-rules", json={"name": "to nowhere", "set_team": "no-such-team"}
    )

    expected = [
        (unknown, "$.assigned_to"),
        (deactivated, "$.agent"),
        (no_team, "$.assigned_team"),
        (bulk, "$.changes.add_assignee"),
        (rule, "$.set_team"),
    ]
    for response, field in expected:
        assert response.status_code == 422, response.text
        assert [error["field"] for error in response.json()["errors"]] == [field]
    assert (await tickets.detail(ticket["id"]))["version"] == ticket["version"]


async def test_teams_have_members(tickets: TicketsApi) -> None:
    member = new_handle("member")
    await create_agent(tickets, member)
    name = new_handle("team")

    created = await tickets.client.post(
        "/teams", json={"name": name, "email": "team@x.test", "members": [member]}
    )
    again = await tickets.client.post("/teams", json={"name": name})
    stranger = await tickets.client.post(
        "/teams", json={"name": new_handle("team"), "members": ["nobody.here"]}
    )
    added = await tickets.client.put(f"/teams/{name}/members/{TEST_ADMIN}")
    removed = await tickets.client.delete(f"/teams/{name}/members/{member}")
    listed = await tickets.client.get("/teams")

    assert created.status_code == 201, created.text
    assert created.json()["members"] == [member]
    assert again.status_code == 409, again.text
    assert stranger.status_code == 422, stranger.text
    assert [error["field"] for error in stranger.json()["errors"]] == ["$.members"]
    assert added.json()["members"] == sorted([member, TEST_ADMIN])
    assert removed.json()["members"] == [TEST_ADMIN]
    [team] = [team for team in listed.json() if team["name"] == name]
    assert team == {**team, "email": "team@x.test", "members": [TEST_ADMIN]}


async def test_keys_are_stored_hashed(tickets: TicketsApi, database_url: str) -> None:
    issued = await create_key(tickets.client, TEST_ADMIN)
    parsed = parse_key(issued["key"])
    assert parsed is not None
    _, secret = parsed

    engine = create_async_engine(async_database_url(database_url))
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT * FROM tickets.api_keys WHERE key_id = :key_id"),
                    {"key_id": issued["key_id"]},
                )
            ).one()
    finally:
        await engine.dispose()

    stored = row._asdict()
    assert stored["secret_sha256"] == hashlib.sha256(secret.encode()).digest()
    for value in stored.values():
        assert secret not in str(value)
        assert secret.encode() not in (value if isinstance(value, bytes) else b"")


async def run_cli(database_url: str, *arguments: str) -> tuple[int, str, str]:
    """Run `python -m ticket_service` against the test database; return code and output."""
    environment = {**os.environ, "HELPDESK_DATABASE_URL": database_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ticket_service",
        *arguments,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_cli_creates_working_key(tickets: TicketsApi, database_url: str) -> None:
    handle = new_handle("cli")

    added = await run_cli(
        database_url,
        "agents",
        "add",
        handle,
        "--name",
        "Cli Admin",
        "--email",
        "c@x.test",
        "--admin",
    )
    created = await run_cli(database_url, "keys", "create", handle, "--label", "setup")
    key = created[1].strip()
    me = await get_as(tickets, key)
    parsed = parse_key(key)
    assert parsed is not None
    revoked = await run_cli(database_url, "keys", "revoke", parsed[0])
    after = await get_as(tickets, key)
    duplicate = await run_cli(
        database_url, "agents", "add", handle, "--name", "Again", "--email", "c@x.test"
    )

    assert added[0] == 0, added[2]
    assert created[0] == 0, created[2]
    assert me.status_code == 200, me.text
    assert (me.json()["handle"], me.json()["role"]) == (handle, "admin")
    assert revoked[0] == 0, revoked[2]
    assert_unauthorized(after)
    assert duplicate[0] != 0
    assert "exists already" in duplicate[2]


@pytest.mark.parametrize("handle", ["Upper", "with space", "a" * 65, "semi;colon"])
async def test_invalid_handles_rejected(tickets: TicketsApi, handle: str) -> None:
    body = {"handle": handle, "display_name": "Bad", "email": "bad@x.test"}

    response = await tickets.client.post("/agents", json=body)

    assert response.status_code == 400, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["$.handle"]


async def test_helper_key_belongs_to_named_agent(tickets: TicketsApi, database_url: str) -> None:
    handle = new_handle("helper")

    key = await agent_key(database_url, handle, AGENT_ROLE)
    me = await get_as(tickets, key)

    assert me.json()["role"] == AGENT_ROLE
    assert me.json()["handle"] == handle
