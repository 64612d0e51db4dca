"""The account context: a contact's or customer's whole record in one response.

The account is the customer when there is one (the contact's customer, when asked by
contact), otherwise the contact alone. Time entries and earlier tickets of a customer
include those recorded against any of its contacts.
"""

import uuid

from litestar import Controller, get
from litestar.params import FromQuery
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from customer_service.models import Contact, Customer, TicketSummary, TimeEntry
from customer_service.onboarding import plan_progress, plan_steps
from helpdesk_contracts.messages import (
    AccountContextReply,
    AccountContextRequest,
    ContextContact,
    ContextCustomer,
    ContextOnboarding,
    ContextOnboardingStep,
    ContextTicket,
    ContextTimeEntry,
    ContextTimeTotals,
)
from helpdesk_runtime.database import Sessions
from helpdesk_runtime.problems import ProblemError

RECENT_TIME_ENTRIES = 10
EARLIER_TICKETS = 50


class AccountNotFoundError(LookupError):
    """The requested contact or customer does not exist."""


class InvalidContextRequestError(ValueError):
    """A request that names neither or both of a contact and a customer."""


def _contact_view(contact: Contact) -> ContextContact:
    return ContextContact(
        id=contact.id,
        name=contact.name,
        emails=tuple(sorted(e.address for e in contact.emails)),
        phones=tuple(contact.phones),
        sees_all_customer_tickets=contact.sees_all_customer_tickets,
    )


def _customer_view(customer: Customer) -> ContextCustomer:
    return ContextCustomer(
        id=customer.id,
        name=customer.name,
        tier=customer.tier,
        domains=tuple(sorted(d.domain for d in customer.domains)),
        owner=customer.owner,
        notes=customer.notes,
        attributes=dict(customer.attributes),
    )


async def _onboarding(session: AsyncSession, customer_id: uuid.UUID) -> ContextOnboarding:
    steps = await plan_steps(session, customer_id)
    return ContextOnboarding(
        steps=tuple(
            ContextOnboardingStep(
                id=s.id, title=s.title, owner=s.owner, due_date=s.due_date, status=s.status
            )
            for s in steps
        ),
        progress=plan_progress(steps),
    )


def _account_filter(
    customer: Customer | None,
    contact: Contact | None,
    customer_column: InstrumentedAttribute[uuid.UUID | None],
    contact_column: InstrumentedAttribute[uuid.UUID | None],
) -> ColumnElement[bool]:
    if customer is not None:
        contacts_of_customer = select(Contact.id).where(Contact.customer_id == customer.id)
        return or_(customer_column == customer.id, contact_column.in_(contacts_of_customer))
    assert contact is not None
    return contact_column == contact.id


async def _time_entries(
    session: AsyncSession, account: ColumnElement[bool]
) -> tuple[tuple[ContextTimeEntry, ...], ContextTimeTotals]:
    recent = (
        select(TimeEntry)
        .where(account)
        .order_by(TimeEntry.spent_on.desc(), TimeEntry.created_at.desc())
        .limit(RECENT_TIME_ENTRIES)
    )
    entries = tuple(
        ContextTimeEntry(
            id=e.id,
            minutes=e.minutes,
            agent=e.agent,
            spent_on=e.spent_on,
            description=e.description,
            billable=e.billable,
            ticket_id=e.ticket_id,
        )
        for e in (await session.execute(recent)).scalars()
    )

    totals = (
        await session.execute(
            select(
                func.coalesce(func.sum(TimeEntry.minutes), 0),
                func.coalesce(func.sum(TimeEntry.minutes).filter(TimeEntry.billable), 0),
            ).where(account)
        )
    ).one()
    return entries, ContextTimeTotals(minutes=int(totals[0]), billable_minutes=int(totals[1]))


async def _tickets(
    session: AsyncSession, account: ColumnElement[bool]
) -> tuple[ContextTicket, ...]:
    result = await session.execute(
        select(TicketSummary)
        .where(account)
        .order_by(TicketSummary.last_activity_at.desc())
        .limit(EARLIER_TICKETS)
    )
    return tuple(
        ContextTicket(
            ticket_id=t.ticket_id,
            number=t.number,
            subject=t.subject,
            status=t.status,
            created_at=t.created_at,
            last_activity_at=t.last_activity_at,
        )
        for t in result.scalars()
    )


async def _account_of(
    session: AsyncSession, request: AccountContextRequest
) -> tuple[Contact | None, Customer | None]:
    if (request.contact_id is None) == (request.customer_id is None):
        raise InvalidContextRequestError("give exactly one of contact_id and customer_id")

    if request.contact_id is not None:
        contact = await session.get(Contact, request.contact_id)
        if contact is None:
            raise AccountNotFoundError(f"No contact with id {request.contact_id}.")
        customer = None
        if contact.customer_id is not None:
            customer = await session.get(Customer, contact.customer_id)
        return contact, customer

    customer = await session.get(Customer, request.customer_id)
    if customer is None:
        raise AccountNotFoundError(f"No customer with id {request.customer_id}.")
    return None, customer


async def build_account_context(
    session: AsyncSession, request: AccountContextRequest
) -> AccountContextReply:
    """Collect the contact, customer, onboarding, time and tickets of one account."""
    contact, customer = await _account_of(session, request)

    entries, totals = await _time_entries(
        session, _account_filter(customer, contact, TimeEntry.customer_id, TimeEntry.contact_id)
    )
    tickets = await _tickets(
        session,
        _account_filter(
            customer, contact, TicketSummary.customer_id, TicketSummary.primary_contact_id
        ),
    )

    return AccountContextReply(
        contact=_contact_view(contact) if contact else None,
        customer=_customer_view(customer) if customer else None,
        tier=customer.tier if customer else None,
        onboarding=await _onboarding(session, customer.id) if customer else None,
        recent_time_entries=entries,
        time_totals=totals,
        tickets=tickets,
    )


class AccountContextController(Controller):
    path = "/context"
    tags = ["account context"]

    @get("/")
    async def get_context(
        self,
        sessions: Sessions,
        contact_id: FromQuery[uuid.UUID | None] = None,
        customer_id: FromQuery[uuid.UUID | None] = None,
    ) -> AccountContextReply:
        """Show an account's record: by `contact_id` or by `customer_id`."""
        request = AccountContextRequest(contact_id=contact_id, customer_id=customer_id)
        async with sessions() as session:
            try:
                return await build_account_context(session, request)
            except InvalidContextRequestError as exc:
                raise ProblemError(
                    400, "Invalid request", f"The request must {exc}.", field="$.contact_id"
                ) from exc
            except AccountNotFoundError as exc:
                raise ProblemError(404, "Not found", str(exc)) from exc
