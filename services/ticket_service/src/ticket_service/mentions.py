"""`@agent` mentions in internal notes.

A mention is `@` followed by an agent name of letters, digits and `._+-`, which may be
an email address (`@jane.doe` or `@jane@example.com`). The `@` must not follow a word
character, so the domain part of an address in the text (`jane@example.com`) is no
mention.

NOTE: mentions are not checked against the agent records, so a token that names no
agent handle still publishes `AgentMentioned`.
"""

import re

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_runtime.logging import get_logger
from ticket_service import events
from ticket_service.models import Interaction, Ticket

log = get_logger(__name__)

_MENTION = re.compile(r"(?<![\w@])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")


def mentioned_agents(text: str) -> list[str]:
    """Return the agents mentioned in `text`, in order, without repeats or trailing dots."""
    agents: dict[str, None] = {}
    for match in _MENTION.finditer(text):
        agent = match.group(1).rstrip(".-")
        if agent:
            agents.setdefault(agent, None)
    return list(agents)


async def announce_mentions(
    session: AsyncSession, ticket: Ticket, interaction: Interaction, correlation_id: str
) -> list[str]:
    """Emit one `AgentMentioned` per agent the note mentions; return the agents."""
    agents = mentioned_agents(interaction.text_body)
    for agent in agents:
        await events.agent_mentioned(session, ticket, interaction, agent, correlation_id)
    if agents:
        log.info(
            "agents mentioned",
            ticket_id=str(ticket.id),
            interaction_id=str(interaction.id),
            agents=agents,
        )
    return agents
