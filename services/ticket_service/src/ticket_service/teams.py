"""Teams: named groups of agents that tickets are assigned to as `assigned_team`."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_runtime.logging import get_logger
from ticket_service.agents import get_agent
from ticket_service.errors import TeamExistsError, UnknownTeamError
from ticket_service.models import Agent, Team, TeamMember

log = get_logger(__name__)


@dataclass(frozen=True)
class TeamView:
    """A team with the handles of its members, by handle."""

    team: Team
    members: list[str]


async def create_team(session: AsyncSession, name: str, email: str | None, now: datetime) -> Team:
    """Store a new team; raise `TeamExistsError` when the name is taken."""
    created = await session.scalar(
        insert(Team)
        .values(name=name, email=email, created_at=now)
        .on_conflict_do_nothing()
        .returning(Team.name)
    )
    if created is None:
        raise TeamExistsError(name)

    team = await session.get(Team, name)
    assert team is not None
    log.info("team created", team=name)
    return team


async def get_team(session: AsyncSession, name: str, field: str = "$.assigned_team") -> Team:
    """Return the team, or raise `UnknownTeamError` naming `field`."""
    team = await session.get(Team, name)
    if team is None:
        raise UnknownTeamError(name, field)
    return team


async def check_team(session: AsyncSession, name: str | None, field: str) -> None:
    """Raise `UnknownTeamError` naming `field` unless `name` is None or an existing team."""
    if name is not None:
        await get_team(session, name, field)


async def list_teams(session: AsyncSession) -> list[TeamView]:
    """Return every team by name, with its members."""
    teams = list(await session.scalars(select(Team).order_by(Team.name)))
    rows = await session.execute(
        select(TeamMember.team_name, Agent.handle)
        .join(Agent, Agent.id == TeamMember.agent_id)
        .order_by(Agent.handle)
    )
    members: dict[str, list[str]] = {}
    for team_name, handle in rows:
        members.setdefault(team_name, []).append(handle)
    return [TeamView(team=team, members=members.get(team.name, [])) for team in teams]


async def team_view(session: AsyncSession, name: str) -> TeamView:
    """Return one team with its members."""
    team = await get_team(session, name, "$.name")
    handles = await session.scalars(
        select(Agent.handle)
        .join(TeamMember, TeamMember.agent_id == Agent.id)
        .where(TeamMember.team_name == name)
        .order_by(Agent.handle)
    )
    return TeamView(team=team, members=list(handles))


async def add_member(session: AsyncSession, name: str, handle: str, now: datetime) -> TeamView:
    """Add the agent to the team; adding a member again changes nothing."""
    await get_team(session, name, "$.name")
    agent = await get_agent(session, handle)
    await session.execute(
        insert(TeamMember)
        .values(team_name=name, agent_id=agent.id, added_at=now)
        .on_conflict_do_nothing()
    )
    log.info("team member added", team=name, agent_id=str(agent.id), handle=handle)
    return await team_view(session, name)


async def remove_member(session: AsyncSession, name: str, handle: str) -> TeamView:
    """Remove the agent from the team; removing a non-member changes nothing."""
    await get_team(session, name, "$.name")
    agent = await get_agent(session, handle)
    await session.execute(
        delete(TeamMember).where(TeamMember.team_name == name, TeamMember.agent_id == agent.id)
    )
    log.info("team member removed", team=name, agent_id=str(agent.id), handle=handle)
    return await team_view(session, name)
