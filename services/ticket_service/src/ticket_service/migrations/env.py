"""Alembic environment of ticket_service."""

from helpdesk_runtime.migrations import run_alembic_env
from ticket_service.models import SCHEMA, metadata

run_alembic_env(metadata, SCHEMA)
