"""Describe calendar invitations (iCalendar, RFC 5545) in words for the ticket text.

An invitation arrives as a `text/calendar` part that mail clients show as a meeting
card, so the text body alone often does not mention it. The first event (VEVENT) of
each part gives a short description with its summary, start time and organizer. The
part itself stays an attachment.
"""

import re

from email_gateway.parsing.model import ParsedAttachment

CALENDAR_TYPES = frozenset({"text/calendar", "application/ics"})

# A content line is `NAME;PARAM=VALUE;...:value` (RFC 5545 section 3.1).
_CONTENT_LINE = re.compile(r"^(?P<name>[A-Za-z0-9-]+)(?P<params>(?:;[^:]*)?):(?P<value>.*)$")
_TZID = re.compile(r";TZID=\"?(?P<tzid>[^;:\"]+)\"?", re.IGNORECASE)
_DATE_TIME = re.compile(
    r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2})(?P<minute>\d{2})\d{2}(?P<utc>Z)?)?$"
)
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)
_CN = re.compile(r";CN=\"?(?P<cn>[^;:\"]+)\"?", re.IGNORECASE)


def describe_invitations(attachments: tuple[ParsedAttachment, ...]) -> str:
    """Describe every calendar attachment that contains an event, separated by blank lines."""
    descriptions = []
    for attachment in attachments:
        if attachment.content_type not in CALENDAR_TYPES:
            continue
        description = describe_invitation(attachment.content.decode("utf-8", "replace"))
        if description:
            descriptions.append(description)
    return "\n\n".join(descriptions)


def describe_invitation(calendar: str) -> str:
    """Return the summary, start and organizer of the first VEVENT, or "" when there is none."""
    fields = _first_event_fields(_unfolded_lines(calendar))
    if fields is None:
        return ""

    summary = _unescaped(fields.get("SUMMARY", ("", ""))[1]) or "(no title)"
    lines = [f"Calendar invitation: {summary}"]
    if "DTSTART" in fields:
        lines.append(f"Starts: {_start_time(*fields['DTSTART'])}")
    if "ORGANIZER" in fields:
        lines.append(f"Organizer: {_organizer(*fields['ORGANIZER'])}")
    return "\n".join(lines)


def _unfolded_lines(calendar: str) -> list[str]:
    # A line that starts with a space or tab continues the one before (RFC 5545 3.1).
    text = calendar.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"\n[ \t]", "", text).split("\n")


def _first_event_fields(lines: list[str]) -> dict[str, tuple[str, str]] | None:
    """Return NAME -> (parameters, value) of the first VEVENT, or None without one."""
    fields: dict[str, tuple[str, str]] = {}
    in_event = False
    for line in lines:
        match = _CONTENT_LINE.match(line.strip())
        if match is None:
            continue
        name = match.group("name").upper()
        value = match.group("value").strip()

        if name == "BEGIN" and value.upper() == "VEVENT":
            in_event = True
        elif name == "END" and value.upper() == "VEVENT" and in_event:
            return fields
        elif in_event:
            # Nested components such as VALARM come after the event's own fields, and
            # their fields must not replace the event's.
            fields.setdefault(name, (match.group("params"), value))
    return fields if in_event else None


def _unescaped(value: str) -> str:
    # TEXT values escape line breaks, commas, semicolons and backslashes (RFC 5545 3.3.11).
    value = value.replace("\\n", " ").replace("\\N", " ")
    return re.sub(r"\\([,;\\])", r"\1", value).strip()


def _start_time(params: str, value: str) -> str:
    """Format DTSTART as `YYYY-MM-DD HH:MM` with its zone, or return the value as given."""
    match = _DATE_TIME.match(value)
    if match is None:
        return value

    text = f"{match['year']}-{match['month']}-{match['day']}"
    if match["hour"] is None:
        return text
    text += f" {match['hour']}:{match['minute']}"

    zone = _TZID.search(params)
    if match["utc"]:
        return f"{text} UTC"
    if zone is not None:
        return f"{text} ({zone['tzid']})"
    # A time without zone is floating: the same wall-clock time everywhere.
    return text


def _organizer(params: str, value: str) -> str:
    address = _MAILTO.sub("", value)
    name = _CN.search(params)
    return f"{name.group('cn')} <{address}>" if name is not None else address
