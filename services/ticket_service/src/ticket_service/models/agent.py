"""Agents, their teams and their API keys."""

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ticket_service.models.base import SCHEMA, Base


class Agent(Base):
    """A person who works tickets; `handle` is the name in `assigned_to` and `@mentions`."""

    __tablename__ = "agents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    # A role name of `ticket_service.roles`; checked in code, so a new role needs no migration.
    role: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Team(Base):
    """A team that tickets are assigned to by name (`assigned_team`)."""

    __tablename__ = "teams"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TeamMember(Base):
    """An agent's membership of a team."""

    __tablename__ = "team_members"

    team_name: Mapped[str] = mapped_column(
        ForeignKey(f"{SCHEMA}.teams.name", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.agents.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """An agent's API key; only the SHA-256 digest of its secret is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_agent_id", "agent_id"),)

    # The public part of the key, `hdk_<key_id>_<secret>`, used to find the row.
    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.agents.id", ondelete="CASCADE")
    )
    secret_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    label: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
