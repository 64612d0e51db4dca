"""The ticket list: filters, full-text search, sorting and keyset pagination."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_runtime.database import create_engine
from tests.ticket_service.helpers import TicketsApi, unique

PRIORITY_RANKS = {"Low": 0, "Medium": 1, "High": 2, "Urgent": 3}


@pytest.fixture(scope="module")
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url, pool_size=2)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def create(tickets: TicketsApi, **fields: Any) -> dict[str, Any]:
    body = {
        "subject": unique("Question"),
        "text": "Please help.",
        "requester_email": f"{uuid.uuid4().hex[:8]}@customer.test",
        **fields,
    }
    response = await tickets.client.post("/tickets", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def set_columns(
    sessions: async_sessionmaker[AsyncSession], ticket_id: str, assignments: str
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            text(f"UPDATE tickets.tickets SET {assignments} WHERE id = :id"),
            {"id": uuid.UUID(ticket_id)},
        )


async def ids(tickets: TicketsApi, **params: Any) -> list[str]:
    page = await tickets.list(limit=200, **params)
    return [ticket["id"] for ticket in page["items"]]


async def test_filters_narrow_the_list(
    tickets: TicketsApi, sessions: async_sessionmaker[AsyncSession]
) -> None:
    category = unique("returns")
    await tickets.client.post("/categories", json={"name": category})
    tag = uuid.uuid4().hex[:10]
    await tickets.ensure_teams("t1", "t2")
    await tickets.ensure_agents("alice")
    first = await create(tickets, tags=[tag, "extra"], assigned_team="t1", priority="High")
    second = await create(tickets, tags=[tag], source="web", category=category)
    third = await create(tickets, tags=[tag], assigned_team="t2")
    await tickets.client.post(f"/tickets/{first['id']}/assignees", json={"agent": "alice"})
    await set_columns(
        sessions,
        second["id"],
        "sla_breach_at = now(), due_date = now() - interval '1 day'",
    )
    await set_columns(sessions, third["id"], "due_date = now() + interval '3 days'")

    assert set(await ids(tickets, tag=tag)) == {first["id"], second["id"], third["id"]}
    assert await ids(tickets, tag=[tag, "EXTRA"]) == [first["id"]]
    assert set(await ids(tickets, tag=tag, team=["t1", "t2"])) == {first["id"], third["id"]}
    assert await ids(tickets, tag=tag, assignee="alice") == [first["id"]]
    assert set(await ids(tickets, tag=tag, unassigned=True)) == {second["id"], third["id"]}
    assert await ids(tickets, tag=tag, category=category) == [second["id"]]
    assert await ids(tickets, tag=tag, source="web") == [second["id"]]
    assert await ids(tickets, tag=tag, priority="High") == [first["id"]]
    assert await ids(tickets, tag=tag, sla_breached=True) == [second["id"]]
    assert set(await ids(tickets, tag=tag, sla_breached=False)) == {first["id"], third["id"]}
    assert await ids(tickets, tag=tag, due_before=third["created_at"]) == [second["id"]]
    assert await ids(tickets, tag=tag, due_after=third["created_at"]) == [third["id"]]
    assert await ids(tickets, tag=tag, created_after=second["created_at"]) == [
        third["id"],
        second["id"],
    ]
    assert await ids(tickets, tag=tag, created_before=second["created_at"]) == [first["id"]]
    contact = second["primary_contact_id"]
    assert await ids(tickets, tag=tag, contact_id=contact) == [second["id"]]


async def test_full_text_search(tickets: TicketsApi) -> None:
    word = f"zq{uuid.uuid4().hex[:8]}"
    in_subject = await create(tickets, subject=f"Printer {word} crashes")
    in_text = await create(tickets, text=f"The {word} keeps crashing at night.")
    await create(tickets, subject=f"Printer {word}x", text="unrelated")

    found = set(await ids(tickets, q=f"{word} crash"))
    phrase = await ids(tickets, q=f'"{word} crashes"')
    excluded = await ids(tickets, q=f"{word} -printer")

    assert found == {in_subject["id"], in_text["id"]}
    assert phrase == [in_subject["id"]]
    assert excluded == [in_text["id"]]


@pytest.fixture(scope="module")
async def sorting_tag(tickets: TicketsApi, sessions: async_sessionmaker[AsyncSession]) -> str:
    """Tag five tickets with priorities, due dates and update times in differing orders."""
    tag = uuid.uuid4().hex[:10]
    created = [
        await create(tickets, tags=[tag], priority=priority)
        for priority in ("Low", "Urgent", "Low", "High", "Medium")
    ]
    await set_columns(sessions, created[1]["id"], "due_date = now() + interval '1 day'")
    await set_columns(sessions, created[3]["id"], "due_date = now() + interval '2 days'")
    await tickets.patch(created[0]["id"], {"tags": [tag, "touched"]})
    return tag


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("created", lambda t: (t["created_at"], t["id"])),
        ("updated", lambda t: (t["updated_at"], t["id"])),
        ("number", lambda t: (t["number"], t["id"])),
        ("priority", lambda t: (PRIORITY_RANKS[t["priority"]], t["id"])),
        ("due_date", lambda t: (t["due_date"] or "9999", t["id"])),
    ],
)
@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_sort_pages_cover_all(
    tickets: TicketsApi,
    sorting_tag: str,
    sort: str,
    key: Any,
    order: str,
) -> None:
    tag = sorting_tag
    full = (await tickets.list(tag=tag, limit=200))["items"]
    expected = sorted(full, key=key, reverse=order == "desc")
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, Any] = {"tag": tag, "sort": sort, "order": order, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await tickets.list(**params)
        seen.extend(ticket["id"] for ticket in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert cursor is None
    assert seen == [ticket["id"] for ticket in expected]


async def test_cursor_of_other_sort_rejected(tickets: TicketsApi) -> None:
    tag = uuid.uuid4().hex[:10]
    for _ in range(2):
        await create(tickets, tags=[tag])
    page = await tickets.list(tag=tag, sort="number", limit=1)

    response = await tickets.client.get(
        "/tickets", params={"tag": tag, "sort": "created", "cursor": page["next_cursor"]}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "$.cursor"


async def test_invalid_sort_names_field(tickets: TicketsApi) -> None:
    response = await tickets.client.get("/tickets", params={"sort": "colour"})

    assert response.status_code == 400
    assert "sort" in response.text
