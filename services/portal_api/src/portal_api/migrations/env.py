"""Alembic environment of portal_api."""

from helpdesk_runtime.migrations import run_alembic_env
from portal_api.models import SCHEMA, metadata

run_alembic_env(metadata, SCHEMA)
