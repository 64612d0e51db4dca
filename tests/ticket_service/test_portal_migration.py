"""The portal migration on a private PostgreSQL database: it matches the models and reverts."""

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from helpdesk_runtime.database import create_engine
from helpdesk_runtime.migrations import alembic_config, upgrade_to_head
from tests.support.infrastructure import fresh_database
from ticket_service.models import SCHEMA, metadata

PORTAL_REVISION = "b7d2c5e80003"
PREVIOUS_REVISION = "0dde75001cd9"


@pytest.fixture(scope="module")
def private_database_url(postgres_admin: str) -> Iterator[str]:
    # Its own database, because downgrading the shared one would break running services.
    with fresh_database(postgres_admin) as url:
        yield url


@pytest.fixture
async def engine(private_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(private_database_url, pool_size=2)
    yield engine
    await engine.dispose()


def _included(name: str | None, type_: str, _parent: object) -> bool:
    if type_ == "schema":
        return name == SCHEMA
    return not (type_ == "table" and name == "alembic_version")


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "include_name": _included,
        },
    )
    return list(compare_metadata(context, metadata))


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config("ticket_service")
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_migrated_schema_matches_models(engine: AsyncEngine) -> None:
    await upgrade_to_head(engine, "ticket_service", SCHEMA)

    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)

    assert differences == []


async def test_portal_message_type_admitted(engine: AsyncEngine) -> None:
    await upgrade_to_head(engine, "ticket_service", SCHEMA)
    ticket_id = uuid.uuid4()

    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO tickets.tickets (id, subject, status, priority, source, "
                "contact_ids, enrichment_pending, assigned_to, tags, created_at, updated_at, "
                "version) VALUES (:id, 'Portal', 'Open', 'Medium', 'portal', '{}', false, "
                "'{}', '{}', now(), now(), 1)"
            ),
            {"id": ticket_id},
        )
        await connection.execute(
            text(
                "INSERT INTO tickets.interactions (id, ticket_id, type, author, "
                "customer_visible, text_body, created_at) VALUES (:id, :ticket_id, "
                "'PORTAL_MESSAGE', 'ann@portal.test', true, 'Hello', now())"
            ),
            {"id": uuid.uuid4(), "ticket_id": ticket_id},
        )
        form_values = await connection.scalar(
            text("SELECT form_values FROM tickets.tickets WHERE id = :id"), {"id": ticket_id}
        )

    assert form_values == {}


async def test_portal_migration_reverts(engine: AsyncEngine) -> None:
    await upgrade_to_head(engine, "ticket_service", SCHEMA)

    async with engine.connect() as connection:
        await connection.run_sync(_downgrade, PREVIOUS_REVISION)
        await connection.commit()
        forms_table = await connection.scalar(text("SELECT to_regclass('tickets.intake_forms')"))
        portal_messages = await connection.scalar(
            text("SELECT count(*) FROM tickets.interactions WHERE type = 'PORTAL_MESSAGE'")
        )
    await upgrade_to_head(engine, "ticket_service", SCHEMA)
    async with engine.connect() as connection:
        revision = await connection.scalar(text("SELECT version_num FROM tickets.alembic_version"))

    assert forms_table is None
    assert portal_messages == 0
    assert revision is not None
