"""HTTP API: SLA policies, one ticket's targets and outcomes, and the SLA report."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import Controller, get, put
from litestar.di import Provide
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_contracts.enums import TicketPriority
from helpdesk_runtime.database import Sessions, unit_of_work
from helpdesk_runtime.problems import ProblemError
from sla_service.models import SlaPolicy, SlaTarget
from sla_service.policies import list_policies, upsert_policy
from sla_service.reports import ReportRow, TargetStatus, sla_report, target_status
from sla_service.times import as_utc

# A target longer than a year is most likely a unit mistake (hours or days typed
# as minutes), and the bound keeps the column far from the integer limit.
MAX_TARGET_MINUTES = 366 * 24 * 60

TargetMinutes = Annotated[int, msgspec.Meta(gt=0, le=MAX_TARGET_MINUTES)]


class PolicyIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A policy to create or replace.

    Every key is required and null is written explicitly, so a forgotten key never
    removes a target.
    """

    tier: Annotated[str, msgspec.Meta(min_length=1, max_length=50)] | None
    priority: TicketPriority
    first_response_minutes: TargetMinutes | None
    resolution_minutes: TargetMinutes | None


class PolicyOut(msgspec.Struct, kw_only=True):
    id: int
    tier: str | None
    priority: str
    first_response_minutes: int | None
    resolution_minutes: int | None
    updated_at: datetime


class TargetOut(msgspec.Struct, kw_only=True):
    """One target of a ticket: when it is due, when it was done, and its status."""

    due: datetime | None
    done_at: datetime | None
    met: bool | None
    status: TargetStatus


class TicketSlaOut(msgspec.Struct, kw_only=True):
    ticket_id: uuid.UUID
    policy_id: int | None
    tier: str | None
    priority: str
    started_at: datetime
    first_response: TargetOut
    resolution: TargetOut
    ticket_version: int
    computed_at: datetime


class SlaReportOut(msgspec.Struct, kw_only=True):
    generated_at: datetime
    since: datetime | None
    until: datetime | None
    rows: list[ReportRow]


def _policy_out(policy: SlaPolicy) -> PolicyOut:
    return PolicyOut(
        id=policy.id,
        tier=policy.tier,
        priority=policy.priority,
        first_response_minutes=policy.first_response_minutes,
        resolution_minutes=policy.resolution_minutes,
        updated_at=policy.updated_at,
    )


def _ticket_sla_out(target: SlaTarget, now: datetime) -> TicketSlaOut:
    return TicketSlaOut(
        ticket_id=target.ticket_id,
        policy_id=target.policy_id,
        tier=target.tier,
        priority=target.priority,
        started_at=target.started_at,
        first_response=TargetOut(
            due=target.first_response_due,
            done_at=target.first_response_at,
            met=target.first_response_met,
            status=target_status(target.first_response_due, target.first_response_met, now),
        ),
        resolution=TargetOut(
            due=target.resolution_due,
            done_at=target.resolved_at,
            met=target.resolution_met,
            status=target_status(target.resolution_due, target.resolution_met, now),
        ),
        ticket_version=target.ticket_version,
        computed_at=target.computed_at,
    )


def _check_target_order(data: PolicyIn) -> None:
    first_response = data.first_response_minutes
    resolution = data.resolution_minutes
    if first_response is not None and resolution is not None and first_response > resolution:
        raise ProblemError(
            400,
            "Invalid request",
            f"first_response_minutes ({first_response}) must not exceed "
            f"resolution_minutes ({resolution}), because resolving a ticket responds to it.",
            field="$.first_response_minutes",
        )


class PolicyController(Controller):
    path = "/policies"
    tags = ["policies"]

    @get("/")
    async def get_policies(self, sessions: Sessions) -> list[PolicyOut]:
        """List every policy by tier, the NULL-tier fallback rows last."""
        async with sessions() as session:
            return [_policy_out(policy) for policy in await list_policies(session)]

    @put("/")
    async def put_policy(self, data: JSONBody[PolicyIn], sessions: Sessions) -> PolicyOut:
        """Create or replace the targets of one (tier, priority) for tickets created later."""
        _check_target_order(data)

        async with unit_of_work(sessions) as session:
            policy = await upsert_policy(
                session,
                tier=data.tier,
                priority=data.priority,
                first_response_minutes=data.first_response_minutes,
                resolution_minutes=data.resolution_minutes,
            )
            return _policy_out(policy)


class TicketSlaController(Controller):
    path = "/tickets"
    tags = ["tickets"]

    @get("/{ticket_id:uuid}/sla")
    async def get_ticket_sla(
        self, ticket_id: FromPath[uuid.UUID], sessions: Sessions
    ) -> TicketSlaOut:
        """Show a ticket's due times, when they were met, and each target's status now."""
        async with sessions() as session:
            target = await session.get(SlaTarget, ticket_id)
        if target is None:
            raise ProblemError(
                404,
                "Not found",
                f"No SLA targets for ticket {ticket_id}: the ticket is unknown or its "
                "TicketCreated event has not been handled yet.",
            )
        return _ticket_sla_out(target, datetime.now(UTC))


class ReportController(Controller):
    path = "/reports"
    tags = ["reports"]

    @get("/sla")
    async def get_sla_report(
        self,
        sessions: Sessions,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
    ) -> SlaReportOut:
        """Count met, missed and open targets per tier and priority.

        `since` (inclusive) and `until` (exclusive) bound the tickets' start times, in
        ISO 8601 and read as UTC when they have no offset. Without them every ticket counts.
        """
        since_utc = as_utc(since) if since is not None else None
        until_utc = as_utc(until) if until is not None else None
        async with sessions() as session:
            rows = await sla_report(session, since_utc, until_utc)
        return SlaReportOut(
            generated_at=datetime.now(UTC), since=since_utc, until=until_utc, rows=rows
        )


def session_dependency(
    sessions: async_sessionmaker[AsyncSession],
) -> dict[str, Provide]:
    """Provide the session factory to handlers as `sessions`."""
    return {"sessions": Provide(lambda: sessions, sync_to_thread=False)}
