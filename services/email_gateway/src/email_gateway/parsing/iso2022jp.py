"""Decode ISO-2022-JP text that uses Microsoft's extensions to JIS X 0208.

Outlook and other Windows mailers label text as ISO-2022-JP (RFC 1468) but also use the
NEC and IBM extension rows of code page 932, such as circled digits. Python's iso2022_jp
codec rejects those. Every JIS X 0208 code point, extensions included, maps to a
Shift_JIS byte pair with plain arithmetic, so this decoder converts each escape-sequence
segment to Shift_JIS and decodes it with cp932.
"""

import re

_ESCAPE = re.compile(rb"\x1b(\(B|\(J|\(I|\$@|\$B|\$\(D)")

_ASCII_SETS = frozenset({b"(B", b"(J"})
_HALF_WIDTH_KATAKANA = b"(I"
_DOUBLE_BYTE_SETS = frozenset({b"$@", b"$B"})


def decode_iso2022jp_cp932(data: bytes) -> str:
    """Decode ISO-2022-JP with the cp932 extension rows; unknown bytes become U+FFFD."""
    decoded: list[str] = []
    charset = b"(B"
    position = 0

    for match in _ESCAPE.finditer(data):
        decoded.append(_decode_segment(data[position : match.start()], charset))
        charset = match.group(1)
        position = match.end()

    decoded.append(_decode_segment(data[position:], charset))
    return "".join(decoded)


def _decode_segment(segment: bytes, charset: bytes) -> str:
    if charset in _ASCII_SETS:
        return segment.decode("ascii", errors="replace")

    if charset == _HALF_WIDTH_KATAKANA:
        # JIS X 0201 katakana 0x21-0x5F sit at 0xA1-0xDF in Shift_JIS.
        return bytes(byte | 0x80 for byte in segment).decode("cp932", errors="replace")

    if charset in _DOUBLE_BYTE_SETS:
        return _jis_to_shift_jis(segment).decode("cp932", errors="replace")

    # JIS X 0212 has no Shift_JIS form.
    return "\ufffd" * (len(segment) // 2)


def _jis_to_shift_jis(segment: bytes) -> bytes:
    """Convert JIS X 0208 byte pairs (0x21-0x7E each) to Shift_JIS byte pairs."""
    converted = bytearray()
    for index in range(0, len(segment) - 1, 2):
        first, second = segment[index], segment[index + 1]
        if not (0x21 <= first <= 0x7E and 0x21 <= second <= 0x7E):
            # A line break inside a double-byte segment: keep the bytes as they are.
            converted += bytes((first, second))
            continue

        lead = ((first - 0x21) >> 1) + 0x81
        if lead > 0x9F:
            lead += 0x40

        if first % 2:
            trail = second + 0x1F
            if trail >= 0x7F:
                trail += 1
        else:
            trail = second + 0x7E
        converted += bytes((lead, trail))

    if len(segment) % 2:
        converted.append(segment[-1])
    return bytes(converted)
