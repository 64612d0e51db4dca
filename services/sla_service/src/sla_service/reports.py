"""SLA outcomes for one ticket and counts across tickets."""

from datetime import datetime
from enum import StrEnum

import msgspec
from sqlalchemy import ColumnElement, func, select
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


class OutcomeCounts(msgspec.Struct, kw_only=True):
    """Tickets whose target was met, missed, or has no outcome yet (open, overdue included)."""

    met: int
    missed: int
    open: int


class ReportRow(msgspec.Struct, kw_only=True):
    """Outcomes of the tickets of one customer tier and priority.

    `tickets` also counts tickets without a target, which appear in no outcome count.
    """

    tier: str | None
    priority: str
    tickets: int
    first_response: OutcomeCounts
    resolution: OutcomeCounts


def _outcome_counts(
    due: InstrumentedAttribute[datetime | None], met: InstrumentedAttribute[bool | None]
) -> list[ColumnElement[int]]:
    has_target = due.is_not(None)
    return [
        func.count().filter(met.is_(True)),
        func.count().filter(met.is_(False)),
        func.count().filter(has_target, met.is_(None)),
    ]


async def sla_report(
    session: AsyncSession, since: datetime | None, until: datetime | None
) -> list[ReportRow]:
    """Count outcomes per tier and priority for tickets started in [`since`, `until`)."""
    statement = (
        select(
            SlaTarget.tier,
            SlaTarget.priority,
            func.count(),
            *_outcome_counts(SlaTarget.first_response_due, SlaTarget.first_response_met),
            *_outcome_counts(SlaTarget.resolution_due, SlaTarget.resolution_met),
        )
        .group_by(SlaTarget.tier, SlaTarget.priority)
        .order_by(SlaTarget.tier.asc().nulls_last(), SlaTarget.priority)
    )
    if since is not None:
        statement = statement.where(SlaTarget.started_at >= since)
    if until is not None:
        statement = statement.where(SlaTarget.started_at < until)

    rows = (await session.execute(statement)).all()
    return [
        ReportRow(
            tier=row[0],
            priority=row[1],
            tickets=row[2],
            first_response=OutcomeCounts(met=row[3], missed=row[4], open=row[5]),
            resolution=OutcomeCounts(met=row[6], missed=row[7], open=row[8]),
        )
        for row in rows
    ]
