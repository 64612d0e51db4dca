"""Time entries: minutes agents spend for a customer or contact."""

import uuid
from datetime import date
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_service.api import load_contact, load_customer
from customer_service.models import TimeEntry
from helpdesk_runtime.database import Sessions, unit_of_work
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.problems import ProblemError

log = get_logger(__name__)

Minutes = Annotated[int, msgspec.Meta(gt=0, le=24 * 60)]
Agent = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class TimeEntryCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Time spent, for a `customer_id`, a `contact_id` or both."""

    minutes: Minutes
    agent: Agent
    spent_on: date
    description: str = ""
    billable: bool = False
    ticket_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None


class TimeEntryUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Changes to a time entry. A field left out (or null) stays as it is."""

    minutes: Minutes | None = None
    agent: Agent | None = None
    spent_on: date | None = None
    description: str | None = None
    billable: bool | None = None
    ticket_id: uuid.UUID | None = None


class TimeEntryOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    minutes: int
    agent: str
    spent_on: date
    description: str
    billable: bool
    ticket_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    contact_id: uuid.UUID | None


def time_entry_out(entry: TimeEntry) -> TimeEntryOut:
    return TimeEntryOut(
        id=entry.id,
        minutes=entry.minutes,
        agent=entry.agent,
        spent_on=entry.spent_on,
        description=entry.description,
        billable=entry.billable,
        ticket_id=entry.ticket_id,
        customer_id=entry.customer_id,
        contact_id=entry.contact_id,
    )


async def _load_entry(session: AsyncSession, entry_id: uuid.UUID) -> TimeEntry:
    entry = await session.get(TimeEntry, entry_id)
    if entry is None:
        raise ProblemError(404, "Not found", f"No time entry with id {entry_id}.")
    return entry


class TimeEntryController(Controller):
    path = "/time-entries"
    tags = ["time entries"]

    @post("/")
    async def create_entry(
        self, data: JSONBody[TimeEntryCreate], sessions: Sessions
    ) -> TimeEntryOut:
        """Record time for a customer and/or contact."""
        if data.customer_id is None and data.contact_id is None:
            raise ProblemError(
                400,
                "Invalid time entry",
                "A time entry needs a customer_id, a contact_id or both.",
                field="$.customer_id",
            )
        async with unit_of_work(sessions) as session:
            if data.customer_id is not None:
                await load_customer(session, data.customer_id)
            if data.contact_id is not None:
                await load_contact(session, data.contact_id)
            entry = TimeEntry(id=uuid.uuid4(), **msgspec.structs.asdict(data))
            session.add(entry)
            await session.flush()
        log.info(
            "time entry recorded",
            time_entry_id=str(entry.id),
            customer_id=str(entry.customer_id) if entry.customer_id else None,
            contact_id=str(entry.contact_id) if entry.contact_id else None,
            minutes=entry.minutes,
        )
        return time_entry_out(entry)

    @get("/")
    async def list_entries(
        self,
        sessions: Sessions,
        customer_id: FromQuery[uuid.UUID | None] = None,
        contact_id: FromQuery[uuid.UUID | None] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> list[TimeEntryOut]:
        """List time entries, newest first, optionally of one customer or contact."""
        query = (
            select(TimeEntry)
            .order_by(TimeEntry.spent_on.desc(), TimeEntry.created_at.desc())
            .limit(limit)
        )
        if customer_id is not None:
            query = query.where(TimeEntry.customer_id == customer_id)
        if contact_id is not None:
            query = query.where(TimeEntry.contact_id == contact_id)
        async with sessions() as session:
            return [time_entry_out(e) for e in (await session.execute(query)).scalars()]

    @get("/{entry_id:uuid}")
    async def get_entry(self, entry_id: FromPath[uuid.UUID], sessions: Sessions) -> TimeEntryOut:
        """Show one time entry."""
        async with sessions() as session:
            return time_entry_out(await _load_entry(session, entry_id))

    @patch("/{entry_id:uuid}")
    async def update_entry(
        self, entry_id: FromPath[uuid.UUID], data: JSONBody[TimeEntryUpdate], sessions: Sessions
    ) -> TimeEntryOut:
        """Correct a time entry."""
        async with unit_of_work(sessions) as session:
            entry = await _load_entry(session, entry_id)
            for field, value in msgspec.structs.asdict(data).items():
                if value is not None:
                    setattr(entry, field, value)
            await session.flush()
            return time_entry_out(entry)

    @delete("/{entry_id:uuid}")
    async def delete_entry(self, entry_id: FromPath[uuid.UUID], sessions: Sessions) -> None:
        """Remove a time entry."""
        async with unit_of_work(sessions) as session:
            await session.delete(await _load_entry(session, entry_id))
