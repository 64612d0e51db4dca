"""HTTP API: SLA policies, one ticket's targets and outcomes, and the SLA report."""

import uuid
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import msgspec
from litestar import Controller, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_contracts.enums import TicketPriority, TicketSource
from helpdesk_runtime.database import Sessions, unit_of_work
from helpdesk_runtime.problems import ProblemError
from sla_service.business_calendar import parse_weekly_hours
from sla_service.calendars import find_calendar, list_calendars, upsert_calendar
from sla_service.chart import render_tier_chart
from sla_service.explain import SlaExplanation, explain_targets
from sla_service.models import SlaCalendar, SlaPolicy, SlaTarget
from sla_service.policies import list_policies, upsert_policy
from sla_service.recompute import reapply_policies
from sla_service.reports import (
    ReportGrouping,
    ReportPeriod,
    ReportRow,
    TargetStatus,
    sla_report,
    target_status,
)
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
    # Name of a calendar saved with PUT /calendars/{name}; omitted or null means 24/7.
    calendar: str | None = None
    # Narrowing to tickets with this team, category or source; omitted or null matches any.
    team: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    source: TicketSource | None = None


class PolicyOut(msgspec.Struct, kw_only=True):
    id: int
    tier: str | None
    priority: str
    first_response_minutes: int | None
    resolution_minutes: int | None
    calendar_id: int | None
    team: str | None
    category: str | None
    source: str | None
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
        calendar_id=policy.calendar_id,
        team=policy.team,
        category=policy.category,
        source=policy.source,
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


WarningFractions = NamedDependency[tuple[float, ...]]
"""The fractions of a target at which warnings fire, as a handler dependency."""


class ReapplyOut(msgspec.Struct, kw_only=True):
    recomputed: int


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
        """Create or replace the targets of one (tier, priority, team, category, source).

        They apply to tickets created later.
        """
        _check_target_order(data)

        async with unit_of_work(sessions) as session:
            calendar_id = None
            if data.calendar is not None:
                calendar = await find_calendar(session, data.calendar)
                if calendar is None:
                    raise ProblemError(
                        400,
                        "Invalid request",
                        f"No calendar named {data.calendar!r}; save it with PUT /calendars first.",
                        field="$.calendar",
                    )
                calendar_id = calendar.id
            policy = await upsert_policy(
                session,
                tier=data.tier,
                priority=data.priority,
                first_response_minutes=data.first_response_minutes,
                resolution_minutes=data.resolution_minutes,
                calendar_id=calendar_id,
                team=data.team,
                category=data.category,
                source=data.source.value if data.source is not None else None,
            )
            return _policy_out(policy)

    @post("/reapply", status_code=200)
    async def reapply(
        self,
        sessions: Sessions,
        warning_fractions: WarningFractions,
        tier: FromQuery[str | None] = None,
        priority: FromQuery[TicketPriority | None] = None,
    ) -> ReapplyOut:
        """Recompute the targets of unresolved tickets, optionally of one tier and priority."""
        recomputed = await reapply_policies(
            sessions, warning_fractions, tier=tier, priority=priority
        )
        return ReapplyOut(recomputed=recomputed)


class CalendarIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A business calendar to create or replace; see `business_calendar` for the rules."""

    time_zone: str
    weekly_hours: dict[str, list[tuple[str, str]]] = {}
    holiday_dates: list[date] = []
    holiday_country: Annotated[str, msgspec.Meta(min_length=2, max_length=10)] | None = None
    always_open: bool = False


class CalendarOut(msgspec.Struct, kw_only=True):
    id: int
    name: str
    time_zone: str
    weekly_hours: dict[str, list[list[str]]]
    holiday_dates: list[str]
    holiday_country: str | None
    always_open: bool


def _calendar_out(row: SlaCalendar) -> CalendarOut:
    return CalendarOut(
        id=row.id,
        name=row.name,
        time_zone=row.time_zone,
        weekly_hours=row.weekly_hours,
        holiday_dates=row.holiday_dates,
        holiday_country=row.holiday_country,
        always_open=row.always_open,
    )


def _check_calendar(data: CalendarIn) -> dict[str, list[list[str]]]:
    weekly = {day: [list(pair) for pair in pairs] for day, pairs in data.weekly_hours.items()}
    try:
        ZoneInfo(data.time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ProblemError(
            400,
            "Invalid request",
            f"Unknown IANA time zone {data.time_zone!r}.",
            field="$.time_zone",
        ) from exc
    try:
        parse_weekly_hours(weekly)
    except ValueError as exc:
        raise ProblemError(400, "Invalid request", str(exc), field="$.weekly_hours") from exc
    if data.holiday_country is not None:
        try:
            holidays.country_holidays(data.holiday_country)
        except NotImplementedError as exc:
            raise ProblemError(
                400,
                "Invalid request",
                f"The holidays package has no public holidays for {data.holiday_country!r}.",
                field="$.holiday_country",
            ) from exc
    return weekly


class CalendarController(Controller):
    path = "/calendars"
    tags = ["calendars"]

    @get("/")
    async def get_calendars(self, sessions: Sessions) -> list[CalendarOut]:
        """List every business calendar by name."""
        async with sessions() as session:
            return [_calendar_out(row) for row in await list_calendars(session)]

    @put("/{name:str}")
    async def put_calendar(
        self,
        name: FromPath[Annotated[str, msgspec.Meta(min_length=1, max_length=100)]],
        data: JSONBody[CalendarIn],
        sessions: Sessions,
    ) -> CalendarOut:
        """Create or replace a business calendar; policies refer to it by name."""
        weekly = _check_calendar(data)

        async with unit_of_work(sessions) as session:
            row = await upsert_calendar(
                session,
                name=name,
                time_zone=data.time_zone,
                weekly_hours=weekly,
                holiday_dates=data.holiday_dates,
                holiday_country=data.holiday_country,
                always_open=data.always_open,
            )
            return _calendar_out(row)


def _targets_not_found(ticket_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404,
        "Not found",
        f"No SLA targets for ticket {ticket_id}: the ticket is unknown or its "
        "TicketCreated event has not been handled yet.",
    )


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
            raise _targets_not_found(ticket_id)
        return _ticket_sla_out(target, datetime.now(UTC))

    @get("/{ticket_id:uuid}/sla/explain")
    async def explain_ticket_sla(
        self, ticket_id: FromPath[uuid.UUID], sessions: Sessions
    ) -> SlaExplanation:
        """Show the policy, calendar, start, pauses and arithmetic behind each due time."""
        async with sessions() as session:
            target = await session.get(SlaTarget, ticket_id)
            if target is None:
                raise _targets_not_found(ticket_id)
            return await explain_targets(session, target)


class ReportController(Controller):
    path = "/reports"
    tags = ["reports"]

    @get("/sla")
    async def get_sla_report(
        self,
        sessions: Sessions,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        group_by: FromQuery[str] = "tier,priority",
        period: FromQuery[ReportPeriod | None] = None,
    ) -> SlaReportOut:
        """Count met, missed and open targets, with met percentages and median times.

        `group_by` is a comma-separated list of team, tier and priority (default
        "tier,priority"); `period` (day, week or month, in UTC) also groups by the ticket's
        start. `since` (inclusive) and `until` (exclusive) bound the tickets' start times,
        in ISO 8601 and read as UTC when they have no offset. Without them every ticket
        counts.
        """
        grouping = _parse_grouping(group_by)
        since_utc = as_utc(since) if since is not None else None
        until_utc = as_utc(until) if until is not None else None
        async with sessions() as session:
            rows = await sla_report(session, since_utc, until_utc, grouping, period)
        return SlaReportOut(
            generated_at=datetime.now(UTC), since=since_utc, until=until_utc, rows=rows
        )

    @get("/sla.svg", media_type="image/svg+xml")
    async def get_sla_chart(
        self,
        sessions: Sessions,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
    ) -> str:
        """Draw met and missed resolution targets per customer tier as a grouped bar chart."""
        since_utc = as_utc(since) if since is not None else None
        until_utc = as_utc(until) if until is not None else None
        async with sessions() as session:
            rows = await sla_report(session, since_utc, until_utc, (ReportGrouping.TIER,))
        return render_tier_chart(rows)


def _parse_grouping(text: str) -> tuple[ReportGrouping, ...]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    try:
        grouping = tuple(ReportGrouping(name) for name in names)
    except ValueError as exc:
        allowed = ", ".join(grouping.value for grouping in ReportGrouping)
        raise ProblemError(
            400,
            "Invalid request",
            f"group_by {text!r} must list some of: {allowed}.",
            field="group_by",
        ) from exc
    if len(set(grouping)) != len(grouping):
        raise ProblemError(400, "Invalid request", "group_by repeats a name.", field="group_by")
    return grouping


def session_dependency(
    sessions: async_sessionmaker[AsyncSession],
    warning_fractions: tuple[float, ...] = (),
) -> dict[str, Provide]:
    """Provide the session factory as `sessions` and the warning points to handlers."""
    return {
        "sessions": Provide(lambda: sessions, sync_to_thread=False),
        "warning_fractions": Provide(lambda: warning_fractions, sync_to_thread=False),
    }
