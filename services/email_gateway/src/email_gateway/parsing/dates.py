"""Parse the Date header (RFC 5322 section 3.3) into an aware UTC datetime."""

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_tz

# Internet mail did not exist before 1970, so an earlier year is a broken clock or a
# broken parse. 9998 keeps the UTC conversion clear of datetime's year limit of 9999.
_MIN_YEAR = 1970
_MAX_YEAR = 9998

# The RFC 5322 zone syntax allows offsets up to 99:59, but real offsets lie within
# +-14 hours, so anything beyond is a corrupt header.
_MAX_OFFSET = timedelta(hours=14)

_MAX_ECHOED_LENGTH = 80

_COMMENT = re.compile(r"\([^()]*\)")
_TIME_SEPARATOR = re.compile(r"\s*:\s*")


def parse_date(value: str | None, warnings: list[str]) -> datetime | None:
    """Return the Date header as aware UTC, or None when it is missing or unusable.

    A zone of "-0000" or no zone at all is read as UTC (RFC 5322 section 3.3). Unusable
    values add a warning instead of raising, however absurd their numbers are.
    """
    if value is None or not value.strip():
        return None

    parsed = _parse_rfc5322(value) or _parse_iso(value)
    if parsed is None:
        warnings.append(f"invalid Date header {value.strip()[:_MAX_ECHOED_LENGTH]!r} ignored")
        return None
    return parsed


def _parse_rfc5322(value: str) -> datetime | None:
    # RFC 5322 allows comments and white space between the date tokens, which
    # parsedate_tz does not.
    value = _TIME_SEPARATOR.sub(":", _COMMENT.sub(" ", value))
    try:
        fields = parsedate_tz(value)
    except (ValueError, OverflowError, IndexError, TypeError):
        return None
    if fields is None:
        return None

    year, month, day, hour, minute, second = fields[:6]
    offset_seconds = fields[9] or 0
    if not _MIN_YEAR <= year <= _MAX_YEAR or abs(offset_seconds) > _MAX_OFFSET.total_seconds():
        return None

    try:
        local = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    return local - timedelta(seconds=offset_seconds)


def _parse_iso(value: str) -> datetime | None:
    """Accept the ISO 8601 dates some scripts write instead of RFC 5322 ones."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None

    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not _MIN_YEAR <= parsed.year <= _MAX_YEAR:
        return None
    return parsed.astimezone(UTC)
