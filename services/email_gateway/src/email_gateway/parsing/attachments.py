"""Build ParsedAttachment values from MIME leaf parts and embedded messages."""

import mimetypes
import re
from email import policy
from email.message import Message

from email_gateway.parsing.charsets import decode_bytes, without_surrogates
from email_gateway.parsing.encoded_words import decode_encoded_words

# The built-in table only: the module-level mimetypes functions also read the host's
# mime.types files, which would make generated names differ between machines.
_MIME_TYPES = mimetypes.MimeTypes()

# Regenerating an embedded message must not refold its header lines.
_UNFOLDED_POLICY = policy.compat32.clone(max_line_length=0, linesep="\r\n")

# Exceptions the generator raises on header values it cannot encode again.
_GENERATOR_ERRORS = (LookupError, UnicodeError, ValueError, TypeError, AttributeError)

_UNSAFE_FILENAME_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")
_MAX_FILENAME_LENGTH = 255


class AttachmentNamer:
    """Counter that names the attachments of one message that arrive without a filename."""

    def __init__(self) -> None:
        self._count = 0

    def default_name(self, content_type: str) -> str:
        """Return "attachment-N" with the usual extension of `content_type`."""
        self._count += 1
        return f"attachment-{self._count}{extension_for(content_type)}"


def extension_for(content_type: str) -> str:
    """Return the usual file extension of a MIME type, ".txt" or ".bin" if none is known."""
    if content_type == "message/rfc822":
        return ".eml"

    extension = _MIME_TYPES.guess_extension(content_type, strict=False)
    if extension:
        return extension
    return ".txt" if content_type.startswith("text/") else ".bin"


def guess_content_type(filename: str) -> str:
    """Return the MIME type that a filename's extension suggests, or application/octet-stream."""
    content_type, _ = _MIME_TYPES.guess_type(filename, strict=False)
    return content_type or "application/octet-stream"


def attachment_filename(part: Message, hint: str | None, warnings: list[str]) -> str | None:
    """Return the decoded filename of a part, or None when it names none.

    Content-Disposition "filename" wins over the older Content-Type "name". RFC 2231
    values are decoded from their declared charset. RFC 2047 encoded words are decoded
    too: RFC 2047 section 5 forbids them in parameters, but many clients use them there.
    """
    for parameter, header in (("filename", "content-disposition"), ("name", "content-type")):
        value = part.get_param(parameter, header=header)
        if value is None:
            continue

        name = _decode_parameter(value, hint, warnings)
        cleaned = clean_filename(name)
        if cleaned:
            return cleaned
    return None


def _decode_parameter(
    value: str | tuple[str | None, str | None, str], hint: str | None, warnings: list[str]
) -> str:
    if isinstance(value, tuple):
        # compat32 returns RFC 2231 values as (charset, language, text) where each
        # character of text stands for one percent-decoded byte.
        charset, _, text = value
        raw = text.encode("latin-1", "surrogateescape")
        decoded, warning = decode_bytes(
            raw, charset or None, source="attachment filename", hint=hint
        )
        if warning is not None:
            warnings.append(warning)
        return decoded

    if not value.isascii():
        raw = value.encode("utf-8", "surrogateescape")
        value, warning = decode_bytes(raw, None, source="attachment filename", hint=hint)
        if warning is not None:
            warnings.append(warning)
    return decode_encoded_words(value, warnings, source="attachment filename")


def clean_filename(name: str) -> str:
    """Return a filename that is safe to store: no directories, no control characters."""
    name = _UNSAFE_FILENAME_CHARACTERS.sub("", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in {".", ".."}:
        return ""
    return name[:_MAX_FILENAME_LENGTH]


def declared_charset(part: Message) -> str | None:
    """Return the lower-case charset parameter of a part, or None when it has none.

    compat32 decodes RFC 2231 charset parameters itself and raises ValueError when the
    value contains a NUL byte, which is no reason to give up on the message.
    """
    try:
        return part.get_content_charset()
    except (ValueError, LookupError, UnicodeError):
        return None


def content_id_of(part: Message) -> str | None:
    """Return the Content-ID of a part without angle brackets (RFC 2392), or None."""
    value = part.get("content-id")
    if value is None:
        return None

    cleaned = re.sub(r"\s+", "", without_surrogates(str(value))).strip("<>")
    return cleaned or None


def serialize_embedded(part: Message, warnings: list[str]) -> bytes:
    """Return the bytes of the message or report fields that a message/* part contains.

    compat32 parses message/rfc822 into a nested Message and message/delivery-status
    into one Message per field block, so the content has to be generated again.
    """
    if not part.is_multipart():
        payload = part.get_payload(decode=True)
        return payload if isinstance(payload, bytes) else b""

    blocks: list[bytes] = []
    for inner in part.get_payload():
        if isinstance(inner, Message):
            blocks.append(_message_bytes(inner, warnings))
    return b"".join(blocks)


def _message_bytes(message: Message, warnings: list[str]) -> bytes:
    try:
        return message.as_bytes(policy=_UNFOLDED_POLICY)
    except _GENERATOR_ERRORS as exc:
        warnings.append(f"embedded message could not be regenerated, so it was dropped: {exc}")
        return b""
