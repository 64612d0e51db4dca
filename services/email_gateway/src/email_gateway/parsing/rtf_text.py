"""Outlook's compressed RTF bodies (MS-OXRTFCP) and the plain text of an RTF document.

Outlook keeps the body of a TNEF message as PR_RTF_COMPRESSED when it has no plain or
HTML body. The text reader keeps the characters of the document and turns paragraph
and line breaks into newlines. Formatting, tables, pictures and the optional
destinations (`{\\* ...}`) are dropped.
"""

import struct

# The dictionary every compressed RTF stream starts from, as MS-OXRTFCP defines it.
_INITIAL_DICTIONARY = (
    b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman "
    b"\\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New "
    b"RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par "
    b"\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"
)
_DICTIONARY_SIZE = 4096
_HEADER = struct.Struct("<IIII")
_COMPRESSED = 0x75465A4C  # "LZFu"
# The header declares the decompressed size, so a crafted one could ask for gigabytes.
_MAX_RTF_BYTES = 16 * 1024 * 1024
_UNCOMPRESSED = 0x414C454D  # "MELA"

# Destinations whose content is not text of the document.
_SKIPPED_DESTINATIONS = frozenset(
    {
        "fonttbl",
        "colortbl",
        "stylesheet",
        "info",
        "pict",
        "object",
        "header",
        "footer",
        "listtable",
        "listoverridetable",
        "rsidtbl",
        "generator",
        "xmlnstbl",
        "themedata",
        "datastore",
        "latentstyles",
    }
)
_BREAKS = {"par": "\n", "line": "\n", "tab": "\t", "emdash": "\u2014", "endash": "\u2013"}


class InvalidRtfError(Exception):
    """Raised for a compressed RTF stream that is truncated or of an unknown kind."""


def decompress_rtf(data: bytes) -> bytes:
    """Return the RTF document of a PR_RTF_COMPRESSED value."""
    if len(data) < _HEADER.size:
        raise InvalidRtfError(f"compressed RTF of {len(data)} bytes has no header")
    compressed_size, raw_size, kind, _crc = _HEADER.unpack_from(data)
    raw_size = min(raw_size, _MAX_RTF_BYTES)
    # compressed_size counts the bytes after its own field: the rest of the header and the body.
    body = data[_HEADER.size : 4 + compressed_size]

    if kind == _UNCOMPRESSED:
        return body[:raw_size]
    if kind != _COMPRESSED:
        raise InvalidRtfError(f"unknown compressed RTF kind {kind:#010x}")
    return _lzfu_decompress(body, raw_size)


def _lzfu_decompress(body: bytes, raw_size: int) -> bytes:
    dictionary = bytearray(_DICTIONARY_SIZE)
    dictionary[: len(_INITIAL_DICTIONARY)] = _INITIAL_DICTIONARY
    write = len(_INITIAL_DICTIONARY)
    output = bytearray()
    position = 0

    while position < len(body) and len(output) < raw_size:
        control = body[position]
        position += 1
        for bit in range(8):
            if position >= len(body):
                break
            if not control & (1 << bit):
                # A literal byte.
                byte = body[position]
                position += 1
                output.append(byte)
                dictionary[write] = byte
                write = (write + 1) % _DICTIONARY_SIZE
                continue

            # A reference: 12 bits of dictionary offset and 4 bits of length minus 2.
            if position + 2 > len(body):
                raise InvalidRtfError("compressed RTF ends inside a dictionary reference")
            token = int.from_bytes(body[position : position + 2], "big")
            position += 2
            offset, length = token >> 4, (token & 0x0F) + 2
            if offset == write:
                # The reference to the write position marks the end of the stream.
                return bytes(output[:raw_size])
            for index in range(length):
                byte = dictionary[(offset + index) % _DICTIONARY_SIZE]
                output.append(byte)
                dictionary[write] = byte
                write = (write + 1) % _DICTIONARY_SIZE

    return bytes(output[:raw_size])


def rtf_to_text(document: bytes) -> str:
    """Return the plain text of an RTF document."""
    reader = _RtfReader(document)
    return reader.read()


class _RtfReader:
    """One pass over an RTF document, tracking which groups are skipped."""

    def __init__(self, document: bytes) -> None:
        self._data = document
        self._position = 0
        self._codec = "cp1252"
        self._text: list[str] = []
        self._pending_bytes = bytearray()
        # One entry per open group: whether its content is skipped.
        self._skipping = [False]
        self._unicode_fallback = 1
        self._to_skip = 0

    def read(self) -> str:
        data = self._data
        while self._position < len(data):
            char = data[self._position]
            self._position += 1
            if char == ord("{"):
                self._skipping.append(self._skipping[-1])
            elif char == ord("}"):
                if len(self._skipping) > 1:
                    self._skipping.pop()
            elif char == ord("\\"):
                self._control()
            elif char in b"\r\n":
                continue
            else:
                self._emit_byte(char)
        self._flush_bytes()
        return "".join(self._text)

    def _control(self) -> None:
        data = self._data
        if self._position >= len(data):
            return
        char = data[self._position]

        if char == ord("'"):
            value = data[self._position + 1 : self._position + 3]
            self._position += 3
            try:
                self._emit_byte(int(value, 16))
            except ValueError:
                return
            return
        if char == ord("*"):
            self._position += 1
            self._skipping[-1] = True
            return
        if not chr(char).isalpha():
            # Escaped "\\", "{" and "}", and control symbols such as "\~" (a hard space).
            self._position += 1
            self._emit_symbol(chr(char))
            return

        word, parameter = self._control_word()
        self._apply(word, parameter)

    def _control_word(self) -> tuple[str, int | None]:
        data = self._data
        start = self._position
        while self._position < len(data) and chr(data[self._position]).isalpha():
            self._position += 1
        word = data[start : self._position].decode("ascii")

        number_start = self._position
        if self._position < len(data) and data[self._position] == ord("-"):
            self._position += 1
        while self._position < len(data) and chr(data[self._position]).isdigit():
            self._position += 1
        number = data[number_start : self._position]
        parameter = int(number) if number not in {b"", b"-"} else None

        # One space after a control word is its delimiter, not text.
        if self._position < len(data) and data[self._position] == ord(" "):
            self._position += 1
        return word, parameter

    def _apply(self, word: str, parameter: int | None) -> None:
        if word in _SKIPPED_DESTINATIONS:
            self._skipping[-1] = True
        elif word == "ansicpg" and parameter is not None:
            self._codec = f"cp{parameter}"
        elif word == "uc" and parameter is not None:
            self._unicode_fallback = parameter
        elif word == "u" and parameter is not None:
            # Negative values stand for code points above 32767 (RTF 1.9 "\uN").
            self._emit_text(chr(parameter % 0x10000))
            self._to_skip = self._unicode_fallback
        elif word in _BREAKS:
            self._emit_text(_BREAKS[word])

    def _emit_symbol(self, symbol: str) -> None:
        if symbol in "\\{}":
            self._emit_text(symbol)
        elif symbol == "~":
            self._emit_text("\u00a0")
        elif symbol in {"\n", "\r"}:
            self._emit_text("\n")

    def _emit_byte(self, byte: int) -> None:
        if self._skipping[-1]:
            return
        if self._to_skip:
            # The fallback characters after "\uN" repeat that character for old readers.
            self._to_skip -= 1
            return
        self._pending_bytes.append(byte)

    def _emit_text(self, text: str) -> None:
        if self._skipping[-1]:
            return
        self._flush_bytes()
        self._text.append(text)

    def _flush_bytes(self) -> None:
        if not self._pending_bytes:
            return
        try:
            decoded = self._pending_bytes.decode(self._codec, errors="replace")
        except LookupError:
            decoded = self._pending_bytes.decode("cp1252", errors="replace")
        self._text.append(decoded)
        self._pending_bytes.clear()
