"""Assignment and classification of tickets: assignees, team, tags and category.

Tags are free text, stored trimmed and lower-cased without repeats, in the order first
given. Categories come from the managed `categories` list.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ticket_service.errors import UnknownCategoryError
from ticket_service.models import Category


def normalize_tags(tags: Iterable[str]) -> list[str]:
    """Return the tags trimmed, lower-cased and without repeats; blank tags are dropped."""
    normalized: dict[str, None] = {}
    for tag in tags:
        cleaned = tag.strip().lower()
        if cleaned:
            normalized.setdefault(cleaned, None)
    return list(normalized)


def normalize_agents(agents: Iterable[str]) -> list[str]:
    """Return agent names trimmed and without repeats, in the order first given."""
    normalized: dict[str, None] = {}
    for agent in agents:
        cleaned = agent.strip()
        if cleaned:
            normalized.setdefault(cleaned, None)
    return list(normalized)


async def check_category(session: AsyncSession, name: str | None) -> None:
    """Raise `UnknownCategoryError` unless `name` is None or a listed category."""
    if name is None:
        return
    if await session.get(Category, name) is None:
        raise UnknownCategoryError(name)


async def list_categories(session: AsyncSession) -> list[Category]:
    """Return every category, by name."""
    return list(await session.scalars(select(Category).order_by(Category.name)))


async def create_category(session: AsyncSession, name: str, now: datetime) -> Category:
    """Return the category `name`, adding it to the list when it is new.

    ON CONFLICT makes two concurrent requests for one new name both succeed.
    """
    await session.execute(
        insert(Category).values(name=name, created_at=now).on_conflict_do_nothing()
    )
    category = await session.get(Category, name, populate_existing=True)
    assert category is not None
    return category
