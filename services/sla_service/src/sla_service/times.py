"""Timestamp helpers shared by the SLA modules."""

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """Return `moment` as an aware UTC datetime, reading a naive one as UTC.

    Contract timestamps are UTC, but a producer may omit the offset.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def isoformat_or_none(moment: datetime | None) -> str | None:
    """Return `moment` in ISO 8601 for log lines, which would otherwise show its repr."""
    return moment.isoformat() if moment is not None else None
