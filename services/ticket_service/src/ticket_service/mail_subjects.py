"""Subject lines: the `[#<number>]` ticket tag and the subject of an agent reply."""

import re

_TICKET_TAG = re.compile(r"\[#(\d{1,18})\]")

# Reply prefixes of common mail clients in several languages ("Re", German "AW",
# Scandinavian "SV", Dutch "Antw"), with the optional counter some clients add ("Re[2]:").
_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|antw)\s*(?:\[\d+\])?\s*:\s*", re.IGNORECASE)
_SPACES = re.compile(r"\s+")

NO_SUBJECT = "(no subject)"


def ticket_numbers_in(subject: str) -> list[int]:
    """Return the ticket numbers tagged in `subject`, in order and without repeats."""
    numbers: dict[int, None] = {}
    for match in _TICKET_TAG.finditer(subject):
        numbers.setdefault(int(match.group(1)), None)
    return list(numbers)


def ticket_subject(subject: str) -> str:
    """Return the subject of a new ticket: the message's subject, or a placeholder."""
    stripped = subject.strip()
    return stripped or NO_SUBJECT


def reply_subject(subject: str, number: int) -> str:
    """Return "Re: <subject> [#<number>]", with no repeated prefix or tag."""
    base = subject
    while True:
        shorter = _REPLY_PREFIX.sub("", base, count=1)
        if shorter == base:
            break
        base = shorter

    base = base.replace(f"[#{number}]", " ")
    base = _SPACES.sub(" ", base).strip()
    if not base or base == NO_SUBJECT:
        return f"Re: [#{number}]"
    return f"Re: {base} [#{number}]"
