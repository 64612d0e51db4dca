"""Alembic environment of email_gateway."""

from email_gateway.models import SCHEMA, metadata
from helpdesk_runtime.migrations import run_alembic_env

run_alembic_env(metadata, SCHEMA)
