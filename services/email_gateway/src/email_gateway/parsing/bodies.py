"""Walk the MIME tree of a message and sort its parts into bodies and attachments.

Text parts without a filename and without `Content-Disposition: attachment` are bodies,
and every other leaf is an attachment. multipart/alternative keeps the last plain and the
last HTML alternative (RFC 2046 section 5.1.4 orders them by increasing faithfulness).
multipart/related keeps its root as the body and every other part as an inline resource
(RFC 2387). Embedded messages (message/rfc822) become `.eml` attachments and add nothing
to the text. Outlook's winmail.dat (TNEF) is kept, and its files are added after it
(see `tnef`). Multipart parts whose boundary cannot be found are parsed again with a
boundary recovered from their body, or kept as plain text.
"""

import re
from dataclasses import dataclass, field
from email.message import Message

from email_gateway.parsing.attachments import (
    AttachmentNamer,
    attachment_filename,
    clean_filename,
    content_id_of,
    declared_charset,
    guess_content_type,
    serialize_embedded,
)
from email_gateway.parsing.boundaries import recover_multipart
from email_gateway.parsing.charsets import codec_for, decode_bytes
from email_gateway.parsing.enriched_text import enriched_to_text
from email_gateway.parsing.headers import HeaderBlock
from email_gateway.parsing.model import ParsedAttachment
from email_gateway.parsing.tnef import is_tnef, unpack_tnef
from email_gateway.parsing.uuencode import extract_uuencoded

BODY_TYPES = frozenset({"text/plain", "text/html", "text/enriched"})

# Real mail nests a few levels deep. The limit bounds the recursion on crafted mail.
MAX_NESTING_DEPTH = 32

_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
_HTML_META_CHARSET = re.compile(rb"""(?i)<meta[^>]+charset\s*=\s*["']?([a-z0-9_.:-]+)""")
_HTML_SNIFF_BYTES = 4096


@dataclass
class MessageBodies:
    """The decoded text and HTML bodies of a message and its attachments, in MIME order."""

    plain_parts: list[str] = field(default_factory=list)
    html_parts: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    # Bodies found inside winmail.dat, used only when the message has no text of its own.
    tnef_plain_parts: list[str] = field(default_factory=list)
    tnef_html_parts: list[str] = field(default_factory=list)


@dataclass
class _Walk:
    """State shared by every step of one walk over a MIME tree."""

    warnings: list[str]
    header_hint: str | None
    namer: AttachmentNamer = field(default_factory=AttachmentNamer)


def collect_bodies(message: Message, header_hint: str | None, warnings: list[str]) -> MessageBodies:
    """Return the bodies and attachments of `message`.

    `header_hint` is the codec tried for raw 8-bit bytes in filenames.
    """
    bodies = MessageBodies()
    _visit(message, bodies, _Walk(warnings, header_hint), depth=0, as_resource=False)

    has_text = any(text.strip() for text in bodies.plain_parts) or bodies.html_parts
    if not has_text:
        bodies.plain_parts.extend(bodies.tnef_plain_parts)
        bodies.html_parts.extend(bodies.tnef_html_parts)
    return bodies


def first_body_codec(message: Message) -> str | None:
    """Return the codec of the first text part that declares a known charset, or None."""
    for part in message.walk():
        if part.get_content_maintype() == "text":
            codec = codec_for(declared_charset(part))
            if codec is not None:
                return codec
    return None


def content_type_of(part: Message) -> str:
    """Return the lower-case MIME type of a part, "text/plain" when it is invalid.

    RFC 2045 section 5.2 makes text/plain the default for a missing or invalid type.
    A missing ";" before the parameters is tolerated.
    """
    words = part.get_content_type().split()
    candidate = words[0].rstrip(";,") if words else ""
    if _MIME_TYPE.fullmatch(candidate):
        return candidate
    return "text/plain"


def _visit(
    part: Message, out: MessageBodies, walk: _Walk, *, depth: int, as_resource: bool
) -> None:
    content_type = content_type_of(part)
    if depth > MAX_NESTING_DEPTH:
        walk.warnings.append(f"MIME parts nested deeper than {MAX_NESTING_DEPTH} levels dropped")
        return

    if content_type.startswith("message/"):
        _add_embedded_message(part, content_type, out, walk)
    elif part.is_multipart():
        children = [child for child in part.get_payload() if isinstance(child, Message)]
        if content_type == "multipart/alternative":
            _visit_alternative(children, out, walk, depth=depth)
        elif content_type == "multipart/related":
            _visit_related(part, children, out, walk, depth=depth)
        else:
            for child in children:
                _visit(child, out, walk, depth=depth + 1, as_resource=False)
    elif content_type.startswith("multipart/"):
        _visit_broken_multipart(part, content_type, out, walk, depth=depth)
    else:
        _visit_leaf(part, content_type, out, walk, as_resource=as_resource)


def _visit_alternative(
    children: list[Message], out: MessageBodies, walk: _Walk, *, depth: int
) -> None:
    plain_choice: list[str] = []
    html_choice: list[str] = []

    for child in children:
        alternative = MessageBodies()
        _visit(child, alternative, walk, depth=depth + 1, as_resource=False)
        if any(text.strip() for text in alternative.plain_parts):
            plain_choice = alternative.plain_parts
        if alternative.html_parts:
            html_choice = alternative.html_parts
        out.attachments.extend(alternative.attachments)

    out.plain_parts.extend(plain_choice)
    out.html_parts.extend(html_choice)


def _visit_related(
    part: Message, children: list[Message], out: MessageBodies, walk: _Walk, *, depth: int
) -> None:
    root_index = _related_root_index(part, children)
    for index, child in enumerate(children):
        _visit(child, out, walk, depth=depth + 1, as_resource=index != root_index)


def _related_root_index(part: Message, children: list[Message]) -> int:
    """Return the index of the root part: the one named by "start", else the first (RFC 2387)."""
    start = part.get_param("start")
    if not isinstance(start, str):
        return 0

    start_id = start.strip().strip("<>")
    for index, child in enumerate(children):
        if content_id_of(child) == start_id:
            return index
    return 0


def _visit_broken_multipart(
    part: Message, content_type: str, out: MessageBodies, walk: _Walk, *, depth: int
) -> None:
    body = _payload_bytes(part)
    if not body.strip():
        walk.warnings.append(f"{content_type} part has no body")
        return

    recovered = recover_multipart(content_type, body)
    if recovered is not None:
        walk.warnings.append(
            f"{content_type} part had no usable boundary; recovered it from the body"
        )
        _visit(recovered, out, walk, depth=depth + 1, as_resource=False)
        return

    walk.warnings.append(f"{content_type} part has no usable boundary; kept its body as plain text")
    out.plain_parts.append(_decode_text(body, declared_charset(part), "text/plain", walk))


def _visit_leaf(
    part: Message, content_type: str, out: MessageBodies, walk: _Walk, *, as_resource: bool
) -> None:
    content = _payload_bytes(part)
    filename = attachment_filename(part, walk.header_hint, walk.warnings)
    disposition = part.get_content_disposition()

    is_body = (
        not as_resource
        and filename is None
        and disposition != "attachment"
        and content_type in BODY_TYPES
    )
    if is_body:
        _add_body(part, content_type, content, out, walk)
        return

    content_id = content_id_of(part)
    inline = disposition == "inline" or (
        content_id is not None and (as_resource or disposition is None)
    )
    out.attachments.append(
        ParsedAttachment(
            filename=filename or walk.namer.default_name(content_type),
            content_type=content_type,
            content=content,
            content_id=content_id,
            inline=inline,
        )
    )
    if is_tnef(content_type, filename):
        _add_tnef_contents(content, out, walk)


def _add_tnef_contents(content: bytes, out: MessageBodies, walk: _Walk) -> None:
    """Add the files of a winmail.dat after it, and keep its body as a fallback."""
    contents = unpack_tnef(content, walk.warnings)
    if contents is None:
        return

    out.attachments.extend(contents.attachments)
    if contents.plain_body is not None:
        out.tnef_plain_parts.append(contents.plain_body)
    if contents.html_body is not None:
        out.tnef_html_parts.append(contents.html_body)


def _add_body(
    part: Message, content_type: str, content: bytes, out: MessageBodies, walk: _Walk
) -> None:
    charset = declared_charset(part)

    if content_type == "text/html":
        if charset is None:
            charset = _html_meta_charset(content)
        out.html_parts.append(_decode_text(content, charset, content_type, walk))
        return

    if content_type == "text/plain":
        content, files = extract_uuencoded(content, walk.warnings)
        for file in files:
            name = clean_filename(file.filename) or walk.namer.default_name(
                "application/octet-stream"
            )
            out.attachments.append(
                ParsedAttachment(
                    filename=name,
                    content_type=guess_content_type(name),
                    content=file.content,
                )
            )

    text = _decode_text(content, charset, content_type, walk)
    if content_type == "text/enriched":
        text = enriched_to_text(text)
    out.plain_parts.append(text)


def _add_embedded_message(
    part: Message, content_type: str, out: MessageBodies, walk: _Walk
) -> None:
    content = serialize_embedded(part, walk.warnings)
    filename = attachment_filename(part, walk.header_hint, walk.warnings)

    if content_type in {"message/rfc822", "message/global"}:
        filename = filename or _embedded_subject(part, walk) or "message"
        if not filename.lower().endswith(".eml"):
            filename += ".eml"
    elif content_type == "message/delivery-status":
        filename = filename or "delivery-status.txt"
    else:
        filename = filename or walk.namer.default_name(content_type)

    out.attachments.append(
        ParsedAttachment(
            filename=filename,
            content_type=content_type,
            content=content,
            content_id=content_id_of(part),
            inline=False,
        )
    )


def _embedded_subject(part: Message, walk: _Walk) -> str:
    """Return the Subject of an embedded message as a filename stem, or ""."""
    if not part.is_multipart():
        return ""
    inner = [child for child in part.get_payload() if isinstance(child, Message)]
    if not inner:
        return ""

    # Defects of the embedded message's headers are not defects of this message.
    ignored_warnings: list[str] = []
    subject = HeaderBlock(inner[0], walk.header_hint, ignored_warnings).text("Subject")
    if subject is None:
        return ""
    return clean_filename(" ".join(subject.split()))[:100]


def _decode_text(content: bytes, charset: str | None, content_type: str, walk: _Walk) -> str:
    text, warning = decode_bytes(content, charset, source=f"{content_type} part")
    if warning is not None:
        walk.warnings.append(warning)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").lstrip("\ufeff")


def _payload_bytes(part: Message) -> bytes:
    """Return the payload of a leaf part with its Content-Transfer-Encoding undone."""
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    return b""


def _html_meta_charset(content: bytes) -> str | None:
    """Return the charset an HTML document declares in a <meta> tag, or None."""
    match = _HTML_META_CHARSET.search(content[:_HTML_SNIFF_BYTES])
    if match is None:
        return None
    return match.group(1).decode("ascii")
