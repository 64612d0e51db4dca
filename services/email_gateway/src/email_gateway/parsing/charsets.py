"""Map MIME charset names to Python codecs and decode bytes without ever failing.

RFC 2045 section 5.1 names the charset of a text part and RFC 2047 section 2 the charset
of an encoded word. Real mail also carries names that Python does not know (`none`,
`x-unknown`), vendor spellings (`x-mac-cyrillic`, `iso-gb2312`), NUL bytes, text that is
not valid in its declared charset, and UTF-8 labelled as a legacy charset. Each decode
here returns text and, when it had to guess, a warning that names the declared and the
used charset.
"""

import codecs
import functools

import charset_normalizer

from email_gateway.parsing.iso2022jp import decode_iso2022jp_cp932

# Vendor and legacy labels mapped to the Python codec that decodes what senders mean by
# them. Where a label names a subset, the superset codec is used: windows-1252 for
# ISO-8859-1 (the WHATWG Encoding Standard does the same), gb18030 for GB2312 and GBK,
# cp949 for EUC-KR, cp932 for Shift_JIS.
_ALIASES: dict[str, str] = {
    "iso-8859-1": "windows-1252",
    "iso8859-1": "windows-1252",
    "iso_8859-1": "windows-1252",
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "x-mac-ce": "mac_latin2",
    "x-mac-greek": "mac_greek",
    "x-mac-turkish": "mac_turkish",
    "x-mac-icelandic": "mac_iceland",
    "gb2312": "gb18030",
    "iso-gb2312": "gb18030",
    "x-gbk": "gb18030",
    "gbk": "gb18030",
    "euc-cn": "gb18030",
    "cn-gb": "gb18030",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "windows-31j": "cp932",
    "big5": "cp950",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-8-e": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "unicode-1-1-utf-7": "utf-7",
    "unicode-1-1-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
}

# 7-bit ISO-2022 charsets cannot contain 8-bit bytes. Mailers that declare them but
# send 8-bit bytes anyway use the Windows code page of the same language.
_EIGHT_BIT_RELATIVES: dict[str, str] = {"iso2022_jp": "cp932", "iso2022_kr": "cp949"}

# Python codecs that are registered as text encodings but do not decode mail text.
_UNSUITABLE_CODECS = frozenset(
    {"idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined", "mbcs", "oem"}
)

# charset-normalizer looks at this many leading bytes; decoding a large part with the
# guessed codec afterwards is cheap, guessing over all of it is not.
_DETECTION_SAMPLE_BYTES = 64 * 1024

# NOTE: an estimate, not a measured limit. With fewer non-ASCII bytes than this,
# charset-normalizer guesses rare codecs (cp775, hp-roman8) for short header values,
# so windows-1252 is used instead.
_MIN_NON_ASCII_FOR_DETECTION = 16

# ASCII text that an ASCII-compatible codec decodes unchanged.
_ASCII_PROBE = b"From: Jane <jane@example.com>\r\nSubject: [Re] ok?\r\n"

FINAL_FALLBACK_CODEC = "windows-1252"
_UTF8_WITH_FALLBACK = "utf-8 with windows-1252 for invalid bytes"
_FALLBACK_ERROR_HANDLER = "helpdesk-windows-1252-fallback"


def _decode_invalid_as_windows_1252(error: UnicodeError) -> tuple[str, int]:
    """Decode the bytes that UTF-8 rejected as windows-1252, one byte at a time."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    invalid = error.object[error.start : error.end]
    return invalid.decode(FINAL_FALLBACK_CODEC, errors="replace"), error.end


codecs.register_error(_FALLBACK_ERROR_HANDLER, _decode_invalid_as_windows_1252)


def codec_for(label: str | None) -> str | None:
    """Return the Python codec name for a MIME charset label, or None if it is unusable."""
    if label is None:
        return None

    name = label.strip().strip("\"'").lower()
    # RFC 2231 section 5 lets a charset carry a language suffix, as in "utf-8*en".
    name = name.split("*", 1)[0]
    if not name or "\x00" in name:
        return None

    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None

    if not getattr(info, "_is_text_encoding", True) or info.name in _UNSUITABLE_CODECS:
        return None
    return info.name


def decode_bytes(
    data: bytes,
    label: str | None,
    *,
    source: str,
    hint: str | None = None,
) -> tuple[str, str | None]:
    """Decode `data` declared as charset `label` and return the text and an optional warning.

    `source` names the decoded text in the warning ("text/plain part", "Subject header").
    `hint` is a codec to try after UTF-8 when the declared charset fails or is unknown,
    such as the charset of the message body for raw 8-bit header bytes.
    """
    if label is None and data.isascii():
        # RFC 2045 section 5.2: text without a charset parameter is US-ASCII.
        return data.decode("ascii"), None

    codec = codec_for(label)
    if codec is not None and label is not None:
        return _decode_as_declared(data, codec, label, source)

    text, used = guess_decode(data, hint)
    if label is None:
        return text, f"8-bit {source} without a charset decoded as {used}"
    return text, f"unknown charset {_printable(label)} in {source} decoded as {used}"


def _decode_as_declared(data: bytes, codec: str, label: str, source: str) -> tuple[str, str | None]:
    """Decode with the declared codec, or with the repair that fits bytes invalid in it.

    When no repair fits, a legacy codec still decodes with the invalid bytes replaced,
    because a few broken bytes are more likely than a wrong declaration. Text declared
    as UTF-8 or ASCII that is neither was written in another charset, which is guessed.
    """
    text = _decode_declared(data, codec)
    if text is not None:
        return text, None

    invalid = f"{source} is not valid {_printable(label)}"
    repaired = _repair_seven_bit(data, codec)
    if repaired is not None:
        text, used = repaired
        return text, f"{invalid}, decoded as {used}"

    utf8 = _try_decode(data, "utf-8")
    if utf8 is not None:
        return utf8, f"{source} declared as {_printable(label)} is UTF-8, decoded as utf-8"

    if _mostly_utf8(data):
        text = data.decode("utf-8", errors=_FALLBACK_ERROR_HANDLER)
        return text, f"{invalid}, decoded as {_UTF8_WITH_FALLBACK}"

    if codec in {"utf-8", "ascii"}:
        text, used = guess_decode(data)
        return text, f"{invalid}, decoded as {used}"

    text = data.decode(codec, errors="replace")
    return text, f"{invalid}, decoded with the invalid bytes replaced"


def _repair_seven_bit(data: bytes, codec: str) -> tuple[str, str] | None:
    """Decode text that breaks a 7-bit ISO-2022 codec the way its senders meant it.

    Returns the text and the name of what decoded it, or None when no repair fits.
    """
    if codec == "iso2022_jp" and data.isascii():
        return decode_iso2022jp_cp932(data), "iso-2022-jp with the cp932 extensions"

    relative = _EIGHT_BIT_RELATIVES.get(codec)
    if relative is None:
        return None
    text = _try_decode(data, relative)
    return (text, relative) if text is not None else None


def display_name(codec: str) -> str:
    """Return the name a mail reader knows for a Python codec ("cp1252" is "windows-1252")."""
    if codec.startswith("cp125"):
        return "windows-" + codec[2:]
    return codec


def guess_decode(data: bytes, hint: str | None = None) -> tuple[str, str]:
    """Decode bytes of unknown charset and return the text and the codec that was used.

    UTF-8 goes first because its multibyte sequences almost never occur by chance in
    other charsets. Text that is mostly valid UTF-8 is read as UTF-8 with its invalid
    bytes taken as windows-1252, which is what a message that mixes a UTF-8 quote with
    Latin-1 text needs. Then come the hint, charset-normalizer, and finally
    windows-1252, which maps every byte except five to a character.
    """
    text = _try_decode(data, "utf-8")
    if text is not None:
        return text, "utf-8"

    if _mostly_utf8(data):
        return data.decode("utf-8", errors=_FALLBACK_ERROR_HANDLER), _UTF8_WITH_FALLBACK

    if hint is not None:
        hint = _EIGHT_BIT_RELATIVES.get(hint, hint)
        text = _try_decode(data, hint)
        if text is not None:
            return text, display_name(hint)

    detected = _detect_codec(data)
    if detected is not None:
        return data.decode(detected, errors="replace"), display_name(detected)

    return data.decode(FINAL_FALLBACK_CODEC, errors="replace"), FINAL_FALLBACK_CODEC


def without_surrogates(text: str) -> str:
    """Replace the surrogate escapes of undecodable bytes with U+FFFD.

    The compat32 parser keeps 8-bit bytes of raw header values as surrogate escapes,
    which no text encoder accepts, so values that skip charset decoding pass through here.
    """
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _decode_declared(data: bytes, codec: str) -> str | None:
    """Decode with the declared codec unless UTF-8 explains the bytes better.

    A single-byte codec decodes any byte sequence, so valid UTF-8 labelled as, for
    example, x-mac-cyrillic would turn into mojibake. Legacy 8-bit text practically
    never forms valid UTF-8, so valid UTF-8 wins over a declared single-byte charset.
    """
    if codec == "utf-8" or data.isascii() or not _is_single_byte(codec):
        return _try_decode(data, codec)
    if _try_decode(data, "utf-8") is not None:
        return None
    return _try_decode(data, codec)


def _mostly_utf8(data: bytes) -> bool:
    """Return True if valid non-ASCII UTF-8 characters are at least as many as bad bytes.

    Legacy 8-bit text almost never forms valid UTF-8 sequences, and in double-byte CJK
    charsets only a small share of characters happens to, so either stays well below.
    """
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    valid = sum(1 for char in text if ord(char) > 0x7F) - broken
    return valid > 0 and valid >= broken


def _detect_codec(data: bytes) -> str | None:
    """Return the codec charset-normalizer finds, if it keeps ASCII bytes as ASCII.

    Mail text is ASCII-compatible in every charset MIME mail uses in practice, while a
    UTF-16 guess would turn ASCII header syntax and markup into CJK characters.
    """
    non_ascii = sum(1 for byte in data[:_DETECTION_SAMPLE_BYTES] if byte > 0x7F)
    if non_ascii < _MIN_NON_ASCII_FOR_DETECTION:
        return None

    best = charset_normalizer.from_bytes(data[:_DETECTION_SAMPLE_BYTES]).best()
    if best is None:
        return None

    codec = codec_for(best.encoding)
    if codec is None or _try_decode(_ASCII_PROBE, codec) != _ASCII_PROBE.decode("ascii"):
        return None
    return codec


@functools.cache
def _is_single_byte(codec: str) -> bool:
    """Return True unless the codec combines bytes into characters (CJK, UTF-7, UTF-16).

    7-bit codecs such as ASCII and ISO-2022-JP count as single-byte here, which is what
    callers need: neither can explain valid non-ASCII UTF-8 either.
    """
    decoded = bytes(range(256)).decode(codec, errors="replace")
    return len(decoded) == 256


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _printable(label: str) -> str:
    """Quote a charset label for a warning, with control characters escaped."""
    return repr(label.strip()[:60])
