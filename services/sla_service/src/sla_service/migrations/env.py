"""Alembic environment of sla_service."""

from helpdesk_runtime.migrations import run_alembic_env
from sla_service.models import SCHEMA, metadata

run_alembic_env(metadata, SCHEMA)
