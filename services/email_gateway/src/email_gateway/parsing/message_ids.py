"""Extract message ids from Message-ID, In-Reply-To and References, and generate missing ones.

The ids are found with a regular expression rather than the RFC 5322 grammar of the
standard library, because real ids break that grammar (unbalanced "[", spaces, folds
inside the brackets). A folded id whose local part starts with "[" even makes the
header parser of CPython 3.11 raise IndexError.
"""

import hashlib
import re

# RFC 5322 section 3.6.4: msg-id = "<" id-left "@" id-right ">". Anything between
# brackets is taken, because the contents only need to match between messages.
_BRACKETED_ID = re.compile(r"<([^<>]*)>")
_WHITESPACE = re.compile(r"\s+")

GENERATED_ID_DOMAIN = "generated.helpdesk.invalid"


def extract_message_ids(value: str | None) -> tuple[str, ...]:
    """Return the ids in a header value without brackets, in order and without repeats.

    Values without brackets are split at whitespace and commas, and tokens containing
    "@" count as ids, which catches clients that omit the brackets.
    """
    if value is None:
        return ()

    candidates = [_WHITESPACE.sub("", inner) for inner in _BRACKETED_ID.findall(value)]
    if not candidates:
        tokens = re.split(r"[\s,]+", value)
        candidates = [token.strip("<>\"'") for token in tokens if "@" in token]

    unique: dict[str, None] = {}
    for candidate in candidates:
        if candidate:
            unique.setdefault(candidate, None)
    return tuple(unique)


def generated_message_id(raw: bytes) -> str:
    """Return a deterministic message id for `raw`, derived from its SHA-256 digest.

    The same bytes always give the same id, so a message delivered twice without a
    Message-ID is still recognised as a duplicate. RFC 2606 reserves the ".invalid"
    top-level domain, so a host that generates ids under its own domain cannot produce
    the same id.
    """
    digest = hashlib.sha256(raw).hexdigest()
    return f"{digest}@{GENERATED_ID_DOMAIN}"
