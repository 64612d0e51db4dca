"""Read the top-level header fields of a message as unfolded text.

The message is parsed with the compat32 policy, which keeps header values as the raw
strings of the input: 8-bit bytes appear as surrogate escapes and folds as line breaks.
This module turns those values into text once. For raw 8-bit bytes it tries UTF-8 first,
then the charset of the message body, because clients that put unencoded 8-bit text into
headers (against RFC 5322 section 2.2) mostly use the charset of the body.
"""

import re
from email.message import Message

from email_gateway.parsing.charsets import guess_decode
from email_gateway.parsing.encoded_words import decode_encoded_words

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class HeaderBlock:
    """The header fields of one message, keyed by lower-case field name.

    Values are unfolded (RFC 5322 section 2.2.3) and their raw 8-bit bytes decoded, but
    RFC 2047 encoded words are left alone, because structured fields such as From must be
    split into addresses before their display names are decoded.
    """

    def __init__(self, message: Message, body_charset: str | None, warnings: list[str]) -> None:
        self._fields: dict[str, list[str]] = {}
        self._warnings = warnings

        for name, value in message.raw_items():
            key = name.strip().lower()
            text = _decode_raw_value(str(value), body_charset, name.strip(), warnings)
            # NUL bytes occur only in corrupt mail, and text columns of PostgreSQL reject them.
            self._fields.setdefault(key, []).append(unfold(text).replace("\x00", ""))

    def get(self, name: str) -> str | None:
        """Return the first value of a field, or None when the field is absent."""
        values = self._fields.get(name.lower())
        if not values:
            return None
        return values[0]

    def get_all(self, name: str) -> list[str]:
        """Return every value of a field, in header order."""
        return list(self._fields.get(name.lower(), []))

    def text(self, name: str) -> str | None:
        """Return the first value of an unstructured field with encoded words decoded.

        Tabs and decoded control characters become spaces, and the ends are stripped,
        which is how a Subject is shown.
        """
        value = self.get(name)
        if value is None:
            return None

        decoded = decode_encoded_words(value, self._warnings, source=f"{name} header")
        return _CONTROL_CHARACTERS.sub(" ", decoded).replace("\t", " ").strip()

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._fields


def unfold(value: str) -> str:
    """Remove the line breaks of folded header lines (RFC 5322 section 2.2.3)."""
    return _LINE_BREAK.sub("", value)


def _decode_raw_value(value: str, hint: str | None, name: str, warnings: list[str]) -> str:
    """Turn the surrogate-escaped 8-bit bytes of a raw header value into characters.

    UTF-8 adds no warning, because RFC 6532 allows it in header fields.
    """
    if value.isascii():
        return value

    raw = value.encode("utf-8", "surrogateescape")
    text, used = guess_decode(raw, hint)
    if used != "utf-8":
        warnings.append(f"raw 8-bit bytes in the {name} header decoded as {used}")
    return text
