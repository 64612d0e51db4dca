"""SLA outcomes for one ticket and counts across tickets."""

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from sla_service.models import SlaTarget


class TargetStatus(StrEnum):
    """Status of one target of a ticket."""

    NO_TARGET = "no_target"
    OPEN = "open"
    OVERDUE = "overdue"
    MET = "met"
    MISSED = "missed"


def target_status(due: datetime | None, met: bool | None, now: datetime) -> TargetStatus:
    """Classify a target. An unmet target whose due time has passed is overdue."""
    if due is None:
        return TargetStatus.NO_TARGET
    if met is True:
        return TargetStatus.MET
    if met is False:
        return TargetStatus.MISSED
    return TargetStatus.OVERDUE if due < now else TargetStatus.OPEN


class ReportGrouping(StrEnum):
    """A ticket fact the SLA report can group by."""

    TEAM = "team"
    TIER = "tier"
    PRIORITY = "priority"


class ReportPeriod(StrEnum):
    """Calendar periods (UTC) of the ticket start the report can group by."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


DEFAULT_GROUPING = (ReportGrouping.TIER, ReportGrouping.PRIORITY)


class OutcomeCounts(msgspec.Struct, kw_only=True):
    """Tickets whose target was met, missed, or has no outcome yet (open, overdue included).

    `met_percent` is met / (met + missed) * 100, None when nothing was decided yet.
    `median_business_minutes` is the median time to the first response or resolution in
    business minutes of each ticket's calendar (pauses excluded), over tickets that have it.
    """

    met: int
    missed: int
    open: int
    met_percent: float | None = None
    median_business_minutes: float | None = None


class ReportRow(msgspec.Struct, kw_only=True):
    """Outcomes of the tickets of one group; a field the report does not group by is None.

    `tickets` also counts tickets without a target, which appear in no outcome count.
    """

    tier: str | None
    priority: str | None
    tickets: int
    first_response: OutcomeCounts
    resolution: OutcomeCounts
    team: str | None = None
    period_start: datetime | None = None


def _outcome_columns(
    due: InstrumentedAttribute[datetime | None],
    met: InstrumentedAttribute[bool | None],
    minutes: InstrumentedAttribute[int | None],
) -> list[ColumnElement[Any]]:
    has_target = due.is_not(None)
    return [
        func.count().filter(met.is_(True)),
        func.count().filter(met.is_(False)),
        func.count().filter(has_target, met.is_(None)),
        func.percentile_cont(0.5).within_group(minutes),
    ]


def _counts(met: int, missed: int, still_open: int, median: float | None) -> OutcomeCounts:
    decided = met + missed
    return OutcomeCounts(
        met=met,
        missed=missed,
        open=still_open,
        met_percent=round(100 * met / decided, 1) if decided else None,
        median_business_minutes=float(median) if median is not None else None,
    )


_GROUP_COLUMNS: dict[ReportGrouping, InstrumentedAttribute[Any]] = {
    ReportGrouping.TEAM: SlaTarget.team,
    ReportGrouping.TIER: SlaTarget.tier,
    ReportGrouping.PRIORITY: SlaTarget.priority,
}


async def sla_report(
    session: AsyncSession,
    since: datetime | None,
    until: datetime | None,
    grouping: Sequence[ReportGrouping] = DEFAULT_GROUPING,
    period: ReportPeriod | None = None,
) -> list[ReportRow]:
    """Count outcomes per group for tickets started in [`since`, `until`).

    Groups are the `grouping` facts, then the UTC `period` of the ticket start if given.
    """
    group_columns: list[ColumnElement[Any]] = [
        _GROUP_COLUMNS[name].label(name.value) for name in grouping
    ]
    if period is not None:
        period_start = func.date_trunc(period.value, func.timezone("UTC", SlaTarget.started_at))
        group_columns.append(func.timezone("UTC", period_start).label("period_start"))

    statement = select(
        *group_columns,
        func.count().label("tickets"),
        *_outcome_columns(
            SlaTarget.first_response_due,
            SlaTarget.first_response_met,
            SlaTarget.first_response_business_minutes,
        ),
        *_outcome_columns(
            SlaTarget.resolution_due,
            SlaTarget.resolution_met,
            SlaTarget.resolution_business_minutes,
        ),
    )
    if group_columns:
        positions = range(1, len(group_columns) + 1)
        statement = statement.group_by(*(literal_column(str(p)) for p in positions)).order_by(
            *(literal_column(str(p)).asc().nulls_last() for p in positions)
        )
    if since is not None:
        statement = statement.where(SlaTarget.started_at >= since)
    if until is not None:
        statement = statement.where(SlaTarget.started_at < until)

    rows = (await session.execute(statement)).all()
    return [_report_row(row._mapping, len(group_columns)) for row in rows]


def _report_row(values: Any, group_count: int) -> ReportRow:
    outcome_values = list(values.values())[group_count + 1 :]
    return ReportRow(
        tier=values.get(ReportGrouping.TIER.value),
        priority=values.get(ReportGrouping.PRIORITY.value),
        team=values.get(ReportGrouping.TEAM.value),
        period_start=values.get("period_start"),
        tickets=values["tickets"],
        first_response=_counts(*outcome_values[0:4]),
        resolution=_counts(*outcome_values[4:8]),
    )
