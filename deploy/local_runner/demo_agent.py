"""The demo admin agent of `make run` and a fresh API key for it, so the API works at once.

The agent is created once. Every start issues a new key and revokes the keys that
earlier starts issued, because those were only printed and nobody can read them again.
"""

from dataclasses import dataclass

from sqlalchemy import select

from deploy.local_runner.environment import SUPPORT_ADDRESS
from helpdesk_runtime.database import create_engine, create_session_factory, unit_of_work
from ticket_service.agents import NewAgent, create_agent, get_agent
from ticket_service.api_keys import issue_key, revoke_key
from ticket_service.errors import AgentNotFoundError
from ticket_service.models import ApiKey
from ticket_service.roles import ADMIN_ROLE
from ticket_service.tickets import utc_now

DEMO_HANDLE = "demo.admin"
DEMO_KEY_LABEL = "make run"
DEMO_EMAIL = f"{DEMO_HANDLE}@{SUPPORT_ADDRESS.partition('@')[2]}"


@dataclass(frozen=True)
class DemoKey:
    handle: str
    key: str
    created_agent: bool


async def demo_admin_key(database_url: str) -> DemoKey:
    """Return a new key of the demo admin, creating the agent when it is missing.

    ticket_service must have migrated its schema first (it does so before it is ready).
    """
    engine = create_engine(database_url, pool_size=1)
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            now = utc_now()
            created = False
            try:
                agent = await get_agent(session, DEMO_HANDLE)
            except AgentNotFoundError:
                new_agent = NewAgent(
                    handle=DEMO_HANDLE, display_name="Demo Admin", email=DEMO_EMAIL, role=ADMIN_ROLE
                )
                agent = await create_agent(session, new_agent, now)
                created = True

            earlier = await session.scalars(
                select(ApiKey.key_id).where(
                    ApiKey.agent_id == agent.id,
                    ApiKey.label == DEMO_KEY_LABEL,
                    ApiKey.revoked_at.is_(None),
                )
            )
            for key_id in list(earlier):
                await revoke_key(session, key_id, now)
            issued = await issue_key(session, agent, DEMO_KEY_LABEL, now)
    finally:
        await engine.dispose()
    return DemoKey(handle=agent.handle, key=issued.key, created_agent=created)
