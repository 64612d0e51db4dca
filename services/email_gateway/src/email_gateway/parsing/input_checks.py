"""Reject input that is not an RFC 5322 message before the MIME parser reads it.

Three kinds of input cannot become a ticket: empty input, binary files (Outlook .msg
files are OLE compound documents, not MIME), and text without a header block, such as a
bare reply body saved to a file. A message whose headers name no sender is rejected
later, once the headers are decoded.
"""

from email.message import Message

from email_gateway.parsing.model import UnparseableEmail

# The first eight bytes of every OLE2 compound document, which is what Outlook saves
# as .msg (Microsoft's [MS-CFB] format).
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Header fields that RFC 5322, RFC 5321 and RFC 2045 put on messages, and prefixes of
# the field families that mail software adds. A header block with none of them is a
# text line that merely looks like a field ("Note: ...").
_MESSAGE_FIELDS = frozenset(
    {
        "from", "sender", "reply-to", "to", "cc", "bcc", "date", "subject", "message-id",
        "in-reply-to", "references", "return-path", "received", "mime-version",
        "delivered-to",
    }
)  # fmt: skip
_MESSAGE_FIELD_PREFIXES = ("content-", "list-", "resent-", "x-", "dkim-", "arc-")


def check_raw_input(raw: bytes) -> None:
    """Raise UnparseableEmail when `raw` is empty or binary."""
    if not raw.strip():
        raise UnparseableEmail("the input is empty, so there is no header block")

    if raw.startswith(_OLE_SIGNATURE):
        raise UnparseableEmail(
            "the input is an OLE compound file such as an Outlook .msg, not a MIME message"
        )

    first_line = raw.split(b"\n", 1)[0]
    if b"\x00" in first_line:
        raise UnparseableEmail("the input is binary: its first line contains NUL bytes")


def require_header_block(message: Message) -> None:
    """Raise UnparseableEmail when the parsed message has no RFC 5322 header fields."""
    names = {name.strip().lower() for name in message}
    known = [
        name
        for name in names
        if name in _MESSAGE_FIELDS or name.startswith(_MESSAGE_FIELD_PREFIXES)
    ]
    if not known:
        raise UnparseableEmail(
            "the input has no header block: it starts with body text, not header fields"
        )
