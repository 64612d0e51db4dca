"""Map MIME charset names to Python codecs and decode bytes without ever failing.

RFC 2045 section 5.1 names the charset of a text part and RFC 2047 section 2 the charset
of an encoded word. Real mail also carries names that Python does not know (`none`,
`x-unknown`), vendor spellings (`x-mac-cyrillic`, `iso-gb2312`), NUL bytes and text that
is not valid in its declared charset. Each decode here returns text and, when it had to
guess, a warning that names the declared and the used charset.
"""

import codecs

import charset_normalizer

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

# Python codecs that are registered as text encodings but do not decode mail text.
_UNSUITABLE_CODECS = frozenset(
    {"idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined", "mbcs", "oem"}
)

# charset-normalizer looks at this many leading bytes; decoding a large part with the
# guessed codec afterwards is cheap, guessing over all of it is not.
_DETECTION_SAMPLE_BYTES = 64 * 1024

FINAL_FALLBACK_CODEC = "windows-1252"


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
    what: str,
    hint: str | None = None,
) -> tuple[str, str | None]:
    """Decode `data` declared as charset `label` and return the text and an optional warning.

    `what` names the decoded thing in the warning ("text/plain part", "Subject header").
    `hint` is a codec to try after UTF-8 when the declared charset fails or is unknown,
    such as the charset of the message body for raw 8-bit header bytes.
    """
    codec = codec_for(label)
    if codec is not None:
        text = _try_decode(data, codec)
        if text is not None:
            return text, None

    if label is None and data.isascii():
        # RFC 2045 section 5.2: text without a charset parameter is US-ASCII.
        return data.decode("ascii"), None

    text, used = guess_decode(data, hint)

    if label is None:
        return text, f"8-bit {what} without a charset decoded as {used}"
    if codec is None:
        return text, f"unknown charset {_printable(label)} in {what} decoded as {used}"
    return text, f"{what} is not valid {_printable(label)}, decoded as {used}"


def guess_decode(data: bytes, hint: str | None = None) -> tuple[str, str]:
    """Decode bytes of unknown charset and return the text and the codec that was used.

    UTF-8 goes first because its byte patterns almost never occur by chance in other
    charsets. Then the hint, then charset-normalizer, and windows-1252 last, which maps
    every byte except five to a character.
    """
    text = _try_decode(data, "utf-8")
    if text is not None:
        return text, "utf-8"

    if hint is not None:
        text = _try_decode(data, hint)
        if text is not None:
            return text, hint

    detected = _detect_codec(data)
    if detected is not None:
        return data.decode(detected, errors="replace"), detected

    return data.decode(FINAL_FALLBACK_CODEC, errors="replace"), FINAL_FALLBACK_CODEC


def _detect_codec(data: bytes) -> str | None:
    best = charset_normalizer.from_bytes(data[:_DETECTION_SAMPLE_BYTES]).best()
    if best is None:
        return None
    return codec_for(best.encoding)


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _printable(label: str) -> str:
    """Quote a charset label for a warning, with control characters escaped."""
    return repr(label.strip()[:60])
