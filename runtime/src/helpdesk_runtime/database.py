"""The async SQLAlchemy engine on asyncpg, and the unit-of-work helper entry points use."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def async_database_url(url: str) -> str:
    """Return `url` with the asyncpg driver, accepting plain postgresql:// URLs too."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def create_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """Create the service's engine; connections are checked before use after restarts."""
    return create_async_engine(
        async_database_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Create sessions that keep loaded attributes after commit, as handlers expect."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """Open a session in a transaction that commits on success and rolls back on error.

    Only entry points (HTTP handlers, message subscribers, jobs) open a unit of work;
    domain code and repositories flush but never commit.
    """
    async with sessions() as session, session.begin():
        yield session


Sessions = NamedDependency[async_sessionmaker[AsyncSession]]
"""The session factory as a Litestar handler dependency named `sessions`."""
