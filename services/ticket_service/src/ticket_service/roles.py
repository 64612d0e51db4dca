"""Agent roles and what each may do.

A role is a name stored on the agent. Its permissions live here in code, so a finer role
(a read-only auditor, a team lead) is a new entry in `ROLE_PERMISSIONS`, not a migration.
"""

from enum import StrEnum


class Permission(StrEnum):
    """Something an agent may do through the agent API."""

    # Read and change tickets, reply, add notes, list teams and agents.
    WORK_TICKETS = "work_tickets"
    # Create, list and revoke one's own API keys.
    MANAGE_OWN_KEYS = "manage_own_keys"
    # Change categories, routing rules and intake forms.
    CONFIGURE = "configure"
    # Create and deactivate agents, create teams and members, manage anyone's keys.
    MANAGE_AGENTS = "manage_agents"


AGENT_ROLE = "agent"
ADMIN_ROLE = "admin"

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    AGENT_ROLE: frozenset({Permission.WORK_TICKETS, Permission.MANAGE_OWN_KEYS}),
    ADMIN_ROLE: frozenset(Permission),
}


def permissions_of(role: str) -> frozenset[Permission]:
    """Return the permissions of `role`; a role no longer defined has none."""
    return ROLE_PERMISSIONS.get(role, frozenset())
