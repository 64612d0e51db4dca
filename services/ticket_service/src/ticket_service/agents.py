"""Agents: the people who work tickets, and the check that assignments name them.

An agent's handle (lower-case letters, digits, `.`, `-` and `_`) is what `assigned_to`
and `@mentions` hold. Agents are deactivated, never deleted, so old assignments and
audit entries keep naming someone who existed.
"""

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_runtime.logging import get_logger
from ticket_service.errors import AgentExistsError, AgentNotFoundError, UnknownAgentError
from ticket_service.models import Agent
from ticket_service.roles import ROLE_PERMISSIONS

log = get_logger(__name__)

HANDLE_PATTERN = r"^[a-z0-9._-]{1,64}$"
_HANDLE = re.compile(HANDLE_PATTERN)


@dataclass(frozen=True)
class NewAgent:
    """An agent to create; `role` must be a key of `ROLE_PERMISSIONS`."""

    handle: str
    display_name: str
    email: str
    role: str


def check_new_agent(agent: NewAgent) -> None:
    """Raise ValueError for a malformed handle or an undefined role."""
    if not _HANDLE.match(agent.handle):
        raise ValueError(
            f"invalid handle {agent.handle!r}: use 1 to 64 lower-case letters, digits, '.', "
            "'-' or '_'"
        )
    if agent.role not in ROLE_PERMISSIONS:
        raise ValueError(f"unknown role {agent.role!r}: one of {', '.join(ROLE_PERMISSIONS)}")


async def create_agent(session: AsyncSession, new_agent: NewAgent, now: datetime) -> Agent:
    """Store a new, active agent; raise `AgentExistsError` when the handle is taken."""
    check_new_agent(new_agent)
    agent_id = await session.scalar(
        insert(Agent)
        .values(
            id=uuid.uuid4(),
            handle=new_agent.handle,
            display_name=new_agent.display_name,
            email=new_agent.email,
            role=new_agent.role,
            active=True,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=[Agent.handle])
        .returning(Agent.id)
    )
    if agent_id is None:
        raise AgentExistsError(new_agent.handle)

    agent = await session.get(Agent, agent_id)
    assert agent is not None
    log.info("agent created", agent_id=str(agent.id), handle=agent.handle, role=agent.role)
    return agent


async def get_agent(session: AsyncSession, handle: str) -> Agent:
    """Return the agent with this handle, active or not, or raise `AgentNotFoundError`."""
    agent = await session.scalar(select(Agent).where(Agent.handle == handle))
    if agent is None:
        raise AgentNotFoundError(handle)
    return agent


async def list_agents(session: AsyncSession, include_inactive: bool) -> list[Agent]:
    """Return the agents by handle, the inactive ones only when asked."""
    query = select(Agent).order_by(Agent.handle)
    if not include_inactive:
        query = query.where(Agent.active)
    return list(await session.scalars(query))


async def deactivate_agent(session: AsyncSession, handle: str) -> Agent:
    """Mark the agent inactive: its keys stop working and it can no longer be assigned.

    Tickets assigned to it keep the assignment until someone changes it.
    """
    agent = await get_agent(session, handle)
    if agent.active:
        agent.active = False
        await session.flush()
        log.info("agent deactivated", agent_id=str(agent.id), handle=handle)
    return agent


async def check_assignable(
    session: AsyncSession, handles: Iterable[str], field: str = "$.assigned_to"
) -> None:
    """Raise `UnknownAgentError` naming `field` unless every handle is an active agent."""
    requested = set(handles)
    if not requested:
        return
    found = set(
        await session.scalars(select(Agent.handle).where(Agent.handle.in_(requested), Agent.active))
    )
    missing = sorted(requested - found)
    if missing:
        raise UnknownAgentError(missing[0], field)
