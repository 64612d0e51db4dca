"""Extract uuencoded files embedded in plain-text bodies.

Before MIME, and still in some Lotus Notes and Outlook Express mail, files were sent as
"begin <mode> <name>" ... "end" blocks inside the text. Each block becomes a file and
is removed from the text. Only this classic form is handled; a block that does not end
with an "end" line is left in the text.
"""

import binascii
import re
from dataclasses import dataclass

_BLOCK = re.compile(
    rb"^begin [0-7]{3,4} (?P<name>[^\r\n]+?)[ \t]*\r?\n(?P<body>.*?)^end[ \t]*(?:\r?\n|\Z)"
    # One blank line after the block goes with it, so the text keeps single blank lines.
    rb"(?:[ \t]*\r?\n)?",
    re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class UuencodedFile:
    """One decoded uuencoded block."""

    filename: str
    content: bytes


def extract_uuencoded(data: bytes, warnings: list[str]) -> tuple[bytes, list[UuencodedFile]]:
    """Return `data` without its uuencoded blocks, and the files decoded from them."""
    if b"begin " not in data:
        return data, []

    files: list[UuencodedFile] = []
    remaining: list[bytes] = []
    position = 0

    for match in _BLOCK.finditer(data):
        name = match.group("name").decode("utf-8", "replace").strip()
        content = _decode_block(match.group("body"))
        if content is None:
            warnings.append(f"uuencoded block {name!r} could not be decoded and was kept as text")
            continue

        files.append(UuencodedFile(filename=name, content=content))
        remaining.append(data[position : match.start()])
        position = match.end()

    remaining.append(data[position:])
    return b"".join(remaining), files


def _decode_block(body: bytes) -> bytes | None:
    decoded: list[bytes] = []
    for line in body.splitlines():
        if not line:
            continue
        try:
            decoded.append(binascii.a2b_uu(line))
            continue
        except binascii.Error:
            pass

        # Some encoders append padding or garbage after the characters that the length
        # byte announces. Retry with the line cut to that length.
        byte_count = (line[0] - 32) & 63
        announced_length = (byte_count * 4 + 5) // 3
        try:
            decoded.append(binascii.a2b_uu(line[:announced_length]))
        except binascii.Error:
            return None
    return b"".join(decoded)
