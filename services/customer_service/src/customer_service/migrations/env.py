"""Alembic environment of customer_service."""

from customer_service.models import SCHEMA, metadata
from helpdesk_runtime.migrations import run_alembic_env

run_alembic_env(metadata, SCHEMA)
