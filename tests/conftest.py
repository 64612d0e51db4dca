"""Session-wide real infrastructure: one NATS server and one fresh PostgreSQL database."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.infrastructure import fresh_database, nats_server, postgres_admin_url


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with nats_server(tmp_path_factory.mktemp("nats")) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with postgres_admin_url(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture(scope="session")
def database_url(postgres_admin: str) -> Iterator[str]:
    with fresh_database(postgres_admin) as url:
        yield url


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path
