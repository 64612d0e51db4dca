"""Parse RFC 5322 address lists (From, To, Cc, Reply-To) into EmailAddress values.

The splitter honours quoted strings, comments, angle brackets, groups and RFC 2047
encoded words, so a display name such as "Doe, Jane" or an encoded word that contains a
raw comma stays in one mailbox. Display names are decoded only after the split.
Addresses keep their local part as sent and get a lower-case domain, because RFC 5321
section 2.4 makes only the domain case-insensitive.
"""

import re

from email_gateway.parsing.encoded_words import decode_encoded_words
from helpdesk_contracts.messages import EmailAddress

# Tokens of an address list, tried in order: quoted strings, comments and angle
# addresses (each possibly unterminated), RFC 2047 encoded words, the separators, and
# plain text. Nested comments are not matched as one token, which only matters when
# one contains a comma.
_LIST_TOKEN = re.compile(
    r"""
    "(?:[^"\\]|\\.)*"?
    | \((?:[^()\\]|\\.)*\)?
    | <[^>]*>?
    | =\?[^?\s]+\?[bBqQ]\?[^?]*\?=
    | [,;:]
    | [^",;:<(=]+
    | .
    """,
    re.VERBOSE | re.DOTALL,
)

# A pragmatic addr-spec: a local part (dot-atom or quoted string), "@" and a domain or
# domain literal. It rejects the fragments that broken lists leave behind.
_ADDR_SPEC = re.compile(r'(?:"[^"]*"|[^\s@<>(),;:"\\\[\]]+)@(?:[^\s@<>(),;:"\\]+)')

_BARE_ADDRESS = re.compile(r'[^\s@<>(),;:"\\\[\]]+@[^\s@<>(),;:"\\\[\]]+')

_WHITESPACE = re.compile(r"\s+")

# An RFC 5322 comment without nesting, which is what "addr (Name)" uses in practice.
_COMMENT = re.compile(r"\(((?:[^()\\]|\\.)*)\)")

# "user at example.com", as Mailman's pipermail archives print addresses.
_ARCHIVE_OBFUSCATED = re.compile(r"([^\s@<>()]+) at ([^\s@<>()]+\.[^\s@<>()]+)")

_MAX_ECHOED_LENGTH = 80


def parse_address_list(value: str, warnings: list[str], *, field: str) -> tuple[EmailAddress, ...]:
    """Return the mailboxes of an address list header, skipping invalid entries.

    Each skipped entry adds a warning that names `field`.
    """
    addresses: list[EmailAddress] = []
    for element in split_address_list(value):
        address = parse_mailbox(element, warnings, field=field)
        if address is not None:
            addresses.append(address)
    return tuple(addresses)


def split_address_list(value: str) -> list[str]:
    """Split an address list at top-level commas and drop group names (RFC 5322 3.4).

    "Team: a@example.com, b@example.com;" yields the two mailboxes. Separators inside
    quotes, comments, angle brackets and encoded words do not split.
    """
    elements: list[str] = []
    current: list[str] = []

    for piece in _LIST_TOKEN.findall(value):
        if piece in {",", ";"}:
            elements.append("".join(current))
            current = []
        elif piece == ":":
            # The text so far was a group's display name, which names no mailbox.
            current = []
        else:
            current.append(piece)

    elements.append("".join(current))
    return [element.strip() for element in elements if element.strip()]


def parse_mailbox(element: str, warnings: list[str], *, field: str) -> EmailAddress | None:
    """Parse one mailbox ("Name <addr>", "addr (Name)" or "addr"), or return None if invalid."""
    address, name = _split_name_and_address(element)
    address = _clean_address(address)

    if _ADDR_SPEC.fullmatch(address) is None:
        warnings.append(f"invalid address {element[:_MAX_ECHOED_LENGTH]!r} in {field} skipped")
        return None

    local, _, domain = address.rpartition("@")
    decoded_name = decode_encoded_words(name, warnings, source=f"{field} header")
    return EmailAddress(address=f"{local}@{domain.lower()}", name=_clean_name(decoded_name))


def _split_name_and_address(element: str) -> tuple[str, str]:
    """Return the raw (address, display name) of one list element."""
    open_angle = _last_unquoted_angle(element)
    if open_angle >= 0:
        close_angle = element.find(">", open_angle)
        end = close_angle if close_angle >= 0 else len(element)
        address = element[open_angle + 1 : end]
        name = element[:open_angle]
        if not name.strip() and close_angle >= 0:
            name = element[close_angle + 1 :]
        return address, _phrase_or_comment(name)

    comments = _COMMENT.findall(element)
    if comments:
        return _COMMENT.sub(" ", element), " ".join(comments)

    # "Jane Doe jane@example.com" without brackets: the token with "@" is the address.
    bare = _BARE_ADDRESS.search(element)
    if bare is not None and bare.group(0) != element.strip():
        name = element[: bare.start()] + element[bare.end() :]
        return bare.group(0), name
    return element, ""


def _phrase_or_comment(name: str) -> str:
    """Return the display name without comments, or the comment text if that is all.

    Quoted names keep their parentheses, which belong to the name there.
    """
    if '"' in name:
        return name

    phrase = _COMMENT.sub(" ", name)
    if phrase.strip():
        return phrase
    return " ".join(_COMMENT.findall(name))


def _last_unquoted_angle(element: str) -> int:
    """Return the index of the last "<" outside a quoted string, or -1."""
    in_quotes = False
    found = -1
    for index, char in enumerate(element):
        if char == '"' and (index == 0 or element[index - 1] != "\\"):
            in_quotes = not in_quotes
        elif char == "<" and not in_quotes:
            found = index
    return found


def _clean_address(address: str) -> str:
    """Strip what broken clients wrap around an address: spaces, quotes, mailto:, routes.

    Comments inside the address ("pete(his account)@example.com", RFC 5322 section
    3.4.1 allows them) are removed, and the "user at example.com" form that mailing
    list archives write is turned back into an address.
    """
    address = _COMMENT.sub("", address).strip()
    archived = _ARCHIVE_OBFUSCATED.fullmatch(address)
    if archived is not None:
        address = f"{archived.group(1)}@{archived.group(2)}"
    if len(address) >= 2 and address[0] == address[-1] == '"':
        address = address[1:-1]
    address = _WHITESPACE.sub("", address).strip("'<>")
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:") :]
    # An obsolete source route (RFC 5322 section 4.4) "@relay:user@example.com".
    if address.startswith("@") and ":" in address:
        address = address.rsplit(":", 1)[1]
    return address


def _clean_name(name: str) -> str:
    """Remove the quotes, comment parentheses and escapes around a display name."""
    name = _WHITESPACE.sub(" ", name).strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
        name = name[1:-1].strip()
    return name.replace('\\"', '"').replace("\\\\", "\\")
