"""Outlook's TNEF attachment (`winmail.dat`, application/ms-tnef), unpacked with tnefparse.

Outlook sends the files and the body of a message inside one TNEF part when it thinks
the recipient runs Outlook too. The files become normal attachments next to the kept
`winmail.dat`. The body (plain text, else HTML, else RTF read as text) is used only when
the outer message has no text of its own.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from tnefparse import TNEF  # type: ignore[import-untyped]

from email_gateway.parsing.attachments import clean_filename, guess_content_type
from email_gateway.parsing.charsets import decode_bytes
from email_gateway.parsing.model import ParsedAttachment
from email_gateway.parsing.rtf_text import InvalidRtfError, decompress_rtf, rtf_to_text

TNEF_CONTENT_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})

# TNEF attribute numbers (MS-OXTNEF): the start of each attachment and its file content.
_ATTACH_RENDERING_DATA = 0x9002
_ATTACH_DATA = 0x800F
_LEVEL_ATTACHMENT = 2

# MAPI property ids (MS-OXPROPS): the long filename and the MIME type of an attachment.
_ATTACH_LONG_FILENAME = 0x3707
_ATTACH_MIME_TAG = 0x370E

# tnefparse logs each attribute it does not know and each bad checksum; the warnings
# the parser adds to the event are enough.
logging.getLogger("tnefparse").setLevel(logging.ERROR)


@dataclass
class TnefContents:
    """The files and the body found in one TNEF attachment."""

    attachments: list[ParsedAttachment] = field(default_factory=list)
    plain_body: str | None = None
    html_body: str | None = None


def is_tnef(content_type: str, filename: str | None) -> bool:
    """Return whether a part is a TNEF attachment, by its type or Outlook's filename."""
    return content_type in TNEF_CONTENT_TYPES or (filename or "").lower() == "winmail.dat"


def unpack_tnef(content: bytes, warnings: list[str]) -> TnefContents | None:
    """Return the files and body of a TNEF attachment, or None when it cannot be read."""
    try:
        tnef = TNEF(content, do_checksum=False)
    # tnefparse raises struct, index, Unicode and other errors on damaged input.
    except Exception as exc:
        warnings.append(f"winmail.dat could not be read ({type(exc).__name__}); kept unopened")
        return None

    codec = tnef.codepage or "cp1252"
    contents = TnefContents()
    raw_data = _raw_attachment_data(tnef)
    for index, attachment in enumerate(tnef.attachments, start=1):
        parsed = _attachment(attachment, raw_data.get(index), index, codec)
        if parsed is not None:
            contents.attachments.append(parsed)

    contents.plain_body = _text(tnef.body, codec, "winmail.dat text body", warnings)
    contents.html_body = _text(tnef.htmlbody, codec, "winmail.dat HTML body", warnings)
    if contents.plain_body is None and contents.html_body is None:
        contents.plain_body = _rtf_text(tnef, warnings)
    return contents


def _raw_attachment_data(tnef: Any) -> dict[int, bytes]:
    """Return the attAttachData value of each attachment, by its 1-based position.

    tnefparse replaces attAttachData with the PR_ATTACH_DATA_OBJ property when both are
    present, and strips trailing NUL bytes from that property, which cuts binary files
    that end in NUL. The attribute itself is the file unchanged.
    """
    found: dict[int, bytes] = {}
    position = 0
    for attribute in tnef.objects:
        if attribute.name == _ATTACH_RENDERING_DATA:
            position += 1
        elif attribute.name == _ATTACH_DATA and attribute.level == _LEVEL_ATTACHMENT:
            found[position] = bytes(attribute.data)
    return found


def _attachment(
    attachment: Any, raw_data: bytes | None, index: int, codec: str
) -> ParsedAttachment | None:
    data = raw_data if raw_data else attachment.data
    if not isinstance(data, bytes) or not data:
        return None

    filename = clean_filename(_filename(attachment, codec)) or f"winmail-{index}.bin"
    content_type = _mime_tag(attachment, codec) or guess_content_type(filename)
    return ParsedAttachment(filename=filename, content_type=content_type, content=data)


def _filename(attachment: Any, codec: str) -> str:
    # The long filename (a MAPI property) is preferred; attAttachTitle is 8.3 on old clients.
    long_names = [prop.data for prop in attachment.mapi_attrs if prop.name == _ATTACH_LONG_FILENAME]
    for name in [*long_names, attachment._name]:
        text = _as_text(name, codec).strip("\x00").strip()
        if text:
            return text
    return ""


def _mime_tag(attachment: Any, codec: str) -> str | None:
    for prop in attachment.mapi_attrs:
        if prop.name == _ATTACH_MIME_TAG:
            tag = _as_text(prop.data, codec).strip("\x00").strip().lower()
            if "/" in tag and " " not in tag:
                return tag
    return None


def _as_text(value: object, codec: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode(codec, errors="replace")
    return ""


def _text(value: object, codec: str, source: str, warnings: list[str]) -> str | None:
    if isinstance(value, bytes):
        text, warning = decode_bytes(value, codec, source=source)
        if warning is not None:
            warnings.append(warning)
    elif isinstance(value, str):
        text = value
    else:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\x00")
    return text if text.strip() else None


def _rtf_text(tnef: Any, warnings: list[str]) -> str | None:
    # tnefparse's public `rtfbody` needs the optional compressed_rtf package and logs a
    # warning without it, so the stored value is decompressed here instead.
    compressed = getattr(tnef, "_rtfbody", None)
    if not isinstance(compressed, bytes) or not compressed:
        return None
    try:
        document = decompress_rtf(compressed)
    except InvalidRtfError as exc:
        warnings.append(f"winmail.dat RTF body could not be decompressed: {exc}")
        return None

    text = rtf_to_text(document).strip()
    return text or None
