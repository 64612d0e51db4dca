"""Agents, teams and API keys in the agent API.

Admins create and deactivate agents, create teams and their members, and manage anyone's
keys. Every agent may list agents and teams and manage its own keys.
"""

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from helpdesk_runtime.database import Sessions, unit_of_work
from ticket_service.agents import (
    HANDLE_PATTERN,
    NewAgent,
    check_assignable,
    create_agent,
    deactivate_agent,
    get_agent,
    list_agents,
)
from ticket_service.api.authentication import (
    PermissionDeniedError,
    acting_agent,
    requires,
)
from ticket_service.api.schemas import Team as TeamName
from ticket_service.api.tickets import AnyRequest
from ticket_service.api_keys import issue_key, keys_of, revoke_key
from ticket_service.models import Agent, ApiKey
from ticket_service.roles import Permission
from ticket_service.teams import TeamView, add_member, create_team, list_teams, remove_member
from ticket_service.tickets import utc_now

Handle = Annotated[
    str,
    msgspec.Meta(
        pattern=HANDLE_PATTERN,
        description="Lower-case letters, digits, '.', '-' or '_'; used in assigned_to and "
        "@mentions.",
    ),
]
Address = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^\S+@\S+$")]
Label = Annotated[str, msgspec.Meta(max_length=200)]


class AgentCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new agent; `admin` may also manage agents, teams, keys and configuration."""

    handle: Handle
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
    email: Address
    role: Literal["agent", "admin"] = "agent"


class AgentOut(msgspec.Struct, kw_only=True):
    handle: str
    display_name: str
    email: str
    role: str
    active: bool
    created_at: datetime


class TeamCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new team; `members` are agent handles."""

    name: TeamName
    email: Address | None = None
    members: list[Handle] = msgspec.field(default_factory=list)


class TeamOut(msgspec.Struct, kw_only=True):
    name: str
    email: str | None
    members: list[str]
    created_at: datetime


class KeyCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new API key; the label names where it is used."""

    label: Label = ""


class KeyOut(msgspec.Struct, kw_only=True):
    """An API key without its secret."""

    key_id: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyOut, kw_only=True):
    """A new API key; `key` is shown only in this response and cannot be read again."""

    key: str


def agent_out(agent: Agent) -> AgentOut:
    return AgentOut(
        handle=agent.handle,
        display_name=agent.display_name,
        email=agent.email,
        role=agent.role,
        active=agent.active,
        created_at=agent.created_at,
    )


def team_out(view: TeamView) -> TeamOut:
    return TeamOut(
        name=view.team.name,
        email=view.team.email,
        members=view.members,
        created_at=view.team.created_at,
    )


def key_out(key: ApiKey) -> KeyOut:
    return KeyOut(
        key_id=key.key_id,
        label=key.label,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


def check_key_owner(request: AnyRequest, handle: str) -> None:
    """Admit an agent to its own keys, and an admin to anyone's."""
    agent = acting_agent(request)
    if agent.may(Permission.MANAGE_AGENTS):
        return
    if agent.handle != handle or not agent.may(Permission.MANAGE_OWN_KEYS):
        raise PermissionDeniedError("An agent may manage only its own API keys.")


class AgentController(Controller):
    path = "/agents"
    tags = ["agents"]

    @get("/")
    async def list_agents(
        self, sessions: Sessions, include_inactive: FromQuery[bool] = False
    ) -> list[AgentOut]:
        """List the agents by handle; the inactive ones with `include_inactive=true`."""
        async with sessions() as session:
            return [agent_out(agent) for agent in await list_agents(session, include_inactive)]

    @post("/", status_code=201, guards=[requires(Permission.MANAGE_AGENTS)])
    async def create_agent(self, data: JSONBody[AgentCreate], sessions: Sessions) -> AgentOut:
        """Add an agent (admins only); a taken handle is a 409."""
        new_agent = NewAgent(
            handle=data.handle,
            display_name=data.display_name.strip(),
            email=data.email.strip(),
            role=data.role,
        )
        async with unit_of_work(sessions) as session:
            return agent_out(await create_agent(session, new_agent, utc_now()))

    @get("/me")
    async def me(self, request: AnyRequest, sessions: Sessions) -> AgentOut:
        """Show the agent whose key authenticated this request."""
        async with sessions() as session:
            return agent_out(await get_agent(session, acting_agent(request).handle))

    @get("/{handle:str}")
    async def show_agent(self, handle: FromPath[str], sessions: Sessions) -> AgentOut:
        """Show one agent, active or not."""
        async with sessions() as session:
            return agent_out(await get_agent(session, handle))

    @post("/{handle:str}/deactivate", status_code=200, guards=[requires(Permission.MANAGE_AGENTS)])
    async def deactivate_agent(self, handle: FromPath[str], sessions: Sessions) -> AgentOut:
        """Deactivate an agent (admins only): its keys stop working and it cannot be assigned."""
        async with unit_of_work(sessions) as session:
            return agent_out(await deactivate_agent(session, handle))

    @get("/{handle:str}/keys")
    async def list_keys(
        self, request: AnyRequest, handle: FromPath[str], sessions: Sessions
    ) -> list[KeyOut]:
        """List an agent's keys without their secrets; an agent may list only its own."""
        check_key_owner(request, handle)
        async with sessions() as session:
            agent = await get_agent(session, handle)
            return [key_out(key) for key in await keys_of(session, agent.id)]

    @post("/{handle:str}/keys", status_code=201)
    async def create_key(
        self,
        request: AnyRequest,
        handle: FromPath[str],
        data: JSONBody[KeyCreate],
        sessions: Sessions,
    ) -> Response[KeyCreated]:
        """Create a key for an agent; `key` is in this response only, so store it now."""
        check_key_owner(request, handle)
        async with unit_of_work(sessions) as session:
            agent = await get_agent(session, handle)
            issued = await issue_key(session, agent, data.label.strip(), utc_now())
        body = KeyCreated(**msgspec.structs.asdict(key_out(issued.record)), key=issued.key)
        # The secret must not linger in caches between the server and the caller.
        return Response(body, status_code=201, headers={"Cache-Control": "no-store"})

    @post("/{handle:str}/keys/{key_id:str}/revoke", status_code=200)
    async def revoke_key(
        self,
        request: AnyRequest,
        handle: FromPath[str],
        key_id: FromPath[str],
        sessions: Sessions,
    ) -> KeyOut:
        """Revoke a key at once; revoking it again changes nothing."""
        check_key_owner(request, handle)
        async with unit_of_work(sessions) as session:
            agent = await get_agent(session, handle)
            return key_out(await revoke_key(session, key_id, utc_now(), owner=agent.id))


class TeamController(Controller):
    path = "/teams"
    tags = ["agents"]

    @get("/")
    async def list_teams(self, sessions: Sessions) -> list[TeamOut]:
        """List the teams by name, with their members."""
        async with sessions() as session:
            return [team_out(view) for view in await list_teams(session)]

    @post("/", status_code=201, guards=[requires(Permission.MANAGE_AGENTS)])
    async def create_team(self, data: JSONBody[TeamCreate], sessions: Sessions) -> TeamOut:
        """Add a team with its members (admins only).

        A taken name is a 409; a member that is no active agent is a 422 naming `$.members`.
        """
        now = utc_now()
        name = data.name.strip()
        async with unit_of_work(sessions) as session:
            await check_assignable(session, data.members, "$.members")
            team = await create_team(session, name, data.email, now)
            view = TeamView(team=team, members=[])
            for handle in data.members:
                view = await add_member(session, name, handle, now)
        return team_out(view)

    @put(
        "/{name:str}/members/{handle:str}",
        status_code=200,
        guards=[requires(Permission.MANAGE_AGENTS)],
    )
    async def add_member(
        self, name: FromPath[str], handle: FromPath[str], sessions: Sessions
    ) -> TeamOut:
        """Add an agent to a team (admins only)."""
        async with unit_of_work(sessions) as session:
            return team_out(await add_member(session, name, handle, utc_now()))

    @delete(
        "/{name:str}/members/{handle:str}",
        status_code=200,
        guards=[requires(Permission.MANAGE_AGENTS)],
    )
    async def remove_member(
        self, name: FromPath[str], handle: FromPath[str], sessions: Sessions
    ) -> TeamOut:
        """Remove an agent from a team (admins only)."""
        async with unit_of_work(sessions) as session:
            return team_out(await remove_member(session, name, handle))
