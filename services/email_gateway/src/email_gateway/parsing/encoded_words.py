"""Decode RFC 2047 encoded words ("=?charset?Q?text?=") in header text.

The decoder is lenient where real mail breaks the rules. It finds encoded words inside
other text and quoted strings, accepts spaces inside them and repairs missing base64
padding. It joins adjacent words of one charset before decoding, because some encoders
split a multibyte character across two words.
"""

import binascii
import re
from dataclasses import dataclass

from email_gateway.parsing.charsets import decode_bytes

# RFC 2047 section 2: "=?" charset "?" encoding "?" encoded-text "?=". The charset may
# carry an RFC 2231 language suffix ("utf-8*de").
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_WHITESPACE_ONLY = re.compile(r"[ \t\r\n]*")


@dataclass
class _Run:
    """Adjacent encoded words of one charset, collected before they are decoded together."""

    charset: str
    data: bytearray


def decode_encoded_words(value: str, warnings: list[str], *, source: str) -> str:
    """Replace every encoded word in `value` with its decoded text.

    Whitespace between two adjacent encoded words is dropped (RFC 2047 section 6.2).
    Charset problems are appended to `warnings`, naming `source` (such as "Subject header").
    """
    if "=?" not in value:
        return value

    pieces: list[str] = []
    run: _Run | None = None
    position = 0

    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        charset, encoding, text = match.groups()
        data = _decode_transfer(encoding, text)

        joins_previous = (
            run is not None and data is not None and _WHITESPACE_ONLY.fullmatch(gap) is not None
        )
        if not joins_previous:
            if run is not None:
                pieces.append(_decode_run(run, warnings, source))
                run = None
            pieces.append(gap)

        if data is None:
            pieces.append(match.group(0))
            warnings.append(f"invalid encoded word {match.group(0)[:60]!r} in {source} kept as is")
        elif run is not None and run.charset == charset.lower():
            run.data.extend(data)
        else:
            if run is not None:
                pieces.append(_decode_run(run, warnings, source))
            run = _Run(charset.lower(), bytearray(data))
        position = match.end()

    if run is not None:
        pieces.append(_decode_run(run, warnings, source))
    pieces.append(value[position:])
    return "".join(pieces)


def _decode_transfer(encoding: str, text: str) -> bytes | None:
    """Undo the B or Q encoding of one word, or return None when it cannot be undone."""
    raw = text.encode("utf-8", "surrogateescape")

    if encoding in "qQ":
        # RFC 2047 section 4.2: "_" is a space and "=XX" a hex-encoded byte.
        return binascii.a2b_qp(raw, header=True)

    compact = b"".join(raw.split())
    compact += b"=" * (-len(compact) % 4)
    try:
        return binascii.a2b_base64(compact)
    except binascii.Error:
        return None


def _decode_run(run: _Run, warnings: list[str], source: str) -> str:
    text, warning = decode_bytes(bytes(run.data), run.charset, source=source)
    if warning is not None:
        warnings.append(warning)
    return text
