"""Merging a duplicate contact into another one."""

import uuid

import msgspec
from litestar import Controller, post
from litestar.params import FromPath, JSONBody
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from customer_service import change_events
from customer_service.api import ContactOut, contact_out, load_contact
from customer_service.models import Contact, ContactEmail, TicketSummary, TimeEntry
from helpdesk_runtime.database import Sessions, unit_of_work
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.problems import ProblemError

log = get_logger(__name__)


class MergeRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The contact that absorbs the merged one."""

    into: uuid.UUID


async def merge_contacts(session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID) -> None:
    """Move addresses, phones, time entries and ticket summaries to the target, then
    delete the source. The caller commits.

    The target keeps its own name, customer and portal visibility.
    """
    source = await load_contact(session, source_id)
    target = await load_contact(session, target_id)
    phones = list(dict.fromkeys([*target.phones, *source.phones]))

    # Bulk statements, so the ORM does not delete the source's addresses as orphans.
    await session.execute(
        update(ContactEmail)
        .where(ContactEmail.contact_id == source_id)
        .values(contact_id=target_id)
    )
    await session.execute(
        update(TimeEntry).where(TimeEntry.contact_id == source_id).values(contact_id=target_id)
    )
    await session.execute(
        update(TicketSummary)
        .where(TicketSummary.primary_contact_id == source_id)
        .values(primary_contact_id=target_id)
    )
    await session.execute(update(Contact).where(Contact.id == target_id).values(phones=phones))
    session.expunge(source)
    await session.execute(
        delete(Contact).where(Contact.id == source_id).execution_options(synchronize_session=False)
    )

    await change_events.contacts_merged(session, source_id, target_id)
    log.info("contacts merged", source_contact_id=str(source_id), target_contact_id=str(target_id))


class MergeController(Controller):
    path = "/contacts/{contact_id:uuid}/merge"
    tags = ["contacts"]

    @post("/")
    async def merge(
        self, contact_id: FromPath[uuid.UUID], data: JSONBody[MergeRequest], sessions: Sessions
    ) -> ContactOut:
        """Merge this contact into `into` and return the resulting contact."""
        if data.into == contact_id:
            raise ProblemError(
                400, "Invalid merge", "A contact cannot be merged into itself.", field="$.into"
            )
        async with unit_of_work(sessions) as session:
            await merge_contacts(session, contact_id, data.into)
            merged = await session.execute(
                select(Contact)
                .where(Contact.id == data.into)
                .execution_options(populate_existing=True)
            )
            return contact_out(merged.scalar_one())
