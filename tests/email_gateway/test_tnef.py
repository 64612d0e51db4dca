"""Outlook's winmail.dat (TNEF): its files become attachments and its body fills in the text.

The TNEF files are built here, so every byte of the fixtures is known. A TNEF stream
starts with the signature 0x223E9F78 and a 16-bit key, and attributes follow. Each
attribute is a level byte (1 message, 2 attachment), a 32-bit id, a 32-bit length, the
value and a 16-bit checksum. The id has the attribute number in its low half and the
value type in its high half, and the checksum is the sum of the value bytes.
"""

import asyncio
import smtplib
import struct
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from email_gateway.app import create_app
from email_gateway.attachment_limits import AttachmentLimits, within_limits
from email_gateway.parsing import ParsedAttachment, parse_email
from email_gateway.parsing.rtf_text import decompress_rtf, rtf_to_text
from email_gateway.settings import GatewaySettings
from helpdesk_runtime.blobs import BlobStore
from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.settings import load_settings
from tests.email_gateway.test_smtp_inbound import events_for
from tests.support.servers import serving, wait_until

TNEF_SIGNATURE = 0x223E9F78
LEVEL_MESSAGE = 1
LEVEL_ATTACHMENT = 2

# Value types of TNEF attributes.
TYPE_STRING = 0x0001
TYPE_TEXT = 0x0002
TYPE_BYTE = 0x0006
TYPE_WORD = 0x0007
TYPE_DWORD = 0x0008

# Attribute numbers.
ATT_BODY = 0x800C
ATT_MESSAGE_CLASS = 0x8008
ATT_ATTACH_DATA = 0x800F
ATT_ATTACH_TITLE = 0x8010
ATT_ATTACH_REND_DATA = 0x9002
ATT_MAPI_PROPS = 0x9003
ATT_ATTACHMENT = 0x9005
ATT_TNEF_VERSION = 0x9006
ATT_OEM_CODEPAGE = 0x9007

# MAPI property types and ids.
PT_STRING8 = 0x001E
PT_BINARY = 0x0102
PR_BODY_HTML = 0x1013
PR_RTF_COMPRESSED = 0x1009
PR_ATTACH_DATA_OBJ = 0x3701
PR_ATTACH_LONG_FILENAME = 0x3707


def tnef_attribute(level: int, number: int, value_type: int, value: bytes) -> bytes:
    header = struct.pack("<BHHI", level, number, value_type, len(value))
    checksum = struct.pack("<H", sum(value) & 0xFFFF)
    return header + value + checksum


def mapi_properties(*properties: tuple[int, int, bytes]) -> bytes:
    """Encode (type, id, value) MAPI properties of variable length, each one value."""
    encoded = struct.pack("<I", len(properties))
    for property_type, property_id, value in properties:
        padding = b"\x00" * (-len(value) % 4)
        encoded += struct.pack("<HHII", property_type, property_id, 1, len(value))
        encoded += value + padding
    return encoded


@dataclass
class TnefFile:
    """An attachment inside the TNEF stream."""

    title: bytes
    content: bytes
    long_filename: bytes | None = None
    # Outlook also puts the content into the MAPI property PR_ATTACH_DATA_OBJ.
    data_object: bool = False


@dataclass
class TnefBuilder:
    """Builds a winmail.dat with an optional plain, HTML or compressed RTF body."""

    plain_body: bytes | None = None
    html_body: bytes | None = None
    compressed_rtf: bytes | None = None
    files: list[TnefFile] = field(default_factory=list)

    def build(self) -> bytes:
        stream = struct.pack("<IH", TNEF_SIGNATURE, 0x1234)
        stream += tnef_attribute(
            LEVEL_MESSAGE, ATT_TNEF_VERSION, TYPE_DWORD, struct.pack("<I", 0x10000)
        )
        stream += tnef_attribute(
            LEVEL_MESSAGE, ATT_OEM_CODEPAGE, TYPE_BYTE, struct.pack("<II", 1252, 0)
        )
        stream += tnef_attribute(
            LEVEL_MESSAGE, ATT_MESSAGE_CLASS, TYPE_WORD, b"IPM.Microsoft Mail.Note\x00"
        )
        if self.plain_body is not None:
            stream += tnef_attribute(LEVEL_MESSAGE, ATT_BODY, TYPE_TEXT, self.plain_body)

        properties = []
        if self.html_body is not None:
            properties.append((PT_BINARY, PR_BODY_HTML, self.html_body))
        if self.compressed_rtf is not None:
            properties.append((PT_BINARY, PR_RTF_COMPRESSED, self.compressed_rtf))
        if properties:
            stream += tnef_attribute(
                LEVEL_MESSAGE, ATT_MAPI_PROPS, TYPE_BYTE, mapi_properties(*properties)
            )

        for file in self.files:
            stream += self._attachment(file)
        return stream

    def _attachment(self, file: TnefFile) -> bytes:
        rendering = struct.pack("<HiiI", 1, -1, -1, 0) + b"\x00" * 2
        stream = tnef_attribute(LEVEL_ATTACHMENT, ATT_ATTACH_REND_DATA, TYPE_BYTE, rendering)
        stream += tnef_attribute(
            LEVEL_ATTACHMENT, ATT_ATTACH_TITLE, TYPE_STRING, file.title + b"\x00"
        )
        stream += tnef_attribute(LEVEL_ATTACHMENT, ATT_ATTACH_DATA, TYPE_BYTE, file.content)
        properties = []
        if file.long_filename is not None:
            properties.append((PT_STRING8, PR_ATTACH_LONG_FILENAME, file.long_filename + b"\x00"))
        if file.data_object:
            properties.append((PT_BINARY, PR_ATTACH_DATA_OBJ, file.content))
        if properties:
            stream += tnef_attribute(
                LEVEL_ATTACHMENT, ATT_ATTACHMENT, TYPE_BYTE, mapi_properties(*properties)
            )
        return stream


def uncompressed_rtf(document: bytes) -> bytes:
    """Wrap `document` as PR_RTF_COMPRESSED of the uncompressed kind ("MELA")."""
    return struct.pack("<IIII", len(document) + 12, len(document), 0x414C454D, 0) + document


def outlook_message(
    winmail: bytes,
    text: str | None = None,
    message_id: str = "tnef-test@mail.customer.test",
    sender: str = "jane@customer.test",
) -> bytes:
    """A message as Outlook sends it: an optional text part and the winmail.dat."""
    message = EmailMessage()
    message["From"] = f"Jane Roe <{sender}>"
    message["To"] = "support@helpdesk.test"
    message["Subject"] = "Quarterly numbers"
    message["Message-ID"] = f"<{message_id}>"
    if text is not None:
        message.set_content(text)
    else:
        message.make_mixed()
    message.add_attachment(
        winmail, maintype="application", subtype="ms-tnef", filename="winmail.dat"
    )
    return message.as_bytes(policy=SMTP)


def by_name(attachments: tuple[ParsedAttachment, ...]) -> dict[str, ParsedAttachment]:
    return {attachment.filename: attachment for attachment in attachments}


SPREADSHEET = b"quarter,revenue\r\nQ3,1200\r\n\x00\x01\x02"


def test_tnef_file_becomes_attachment() -> None:
    winmail = TnefBuilder(
        plain_body=b"See the attached numbers.\r\n",
        files=[TnefFile(b"NUMBER~1.CSV", SPREADSHEET, long_filename=b"numbers Q3.csv")],
    ).build()

    parsed = parse_email(outlook_message(winmail, text="Outer text."))

    attachments = by_name(parsed.attachments)
    assert list(attachments) == ["winmail.dat", "numbers Q3.csv"]
    assert attachments["winmail.dat"].content == winmail
    assert attachments["winmail.dat"].content_type == "application/ms-tnef"
    assert attachments["numbers Q3.csv"].content == SPREADSHEET
    assert attachments["numbers Q3.csv"].content_type == "text/csv"


def test_tnef_file_keeps_trailing_nul_bytes() -> None:
    content = b"\x01binary record\x00\x00\x00"
    winmail = TnefBuilder(files=[TnefFile(b"RECORD.BIN", content, data_object=True)]).build()

    parsed = parse_email(outlook_message(winmail, text="Outer text."))

    assert by_name(parsed.attachments)["RECORD.BIN"].content == content


def test_tnef_files_count_against_limits() -> None:
    winmail = TnefBuilder(
        files=[TnefFile(b"A.TXT", b"first file"), TnefFile(b"B.TXT", b"second file")]
    ).build()
    parsed = parse_email(outlook_message(winmail, text="Outer text."))

    accepted, warnings = within_limits(
        parsed.attachments, AttachmentLimits(max_count=2, max_bytes=1024)
    )

    assert [attachment.filename for attachment in accepted] == ["winmail.dat", "A.TXT"]
    assert len(warnings) == 1
    assert "'B.TXT'" in warnings[0]


def test_tnef_short_title_used_without_long_name() -> None:
    winmail = TnefBuilder(files=[TnefFile(b"REPORT.PDF", b"%PDF-1.4 fake")]).build()

    parsed = parse_email(outlook_message(winmail, text="Outer text."))

    attachments = by_name(parsed.attachments)
    assert attachments["REPORT.PDF"].content == b"%PDF-1.4 fake"
    assert attachments["REPORT.PDF"].content_type == "application/pdf"


def test_tnef_body_used_without_outer_text() -> None:
    winmail = TnefBuilder(plain_body="Grüße, die Zahlen anbei.\r\n".encode("cp1252")).build()

    parsed = parse_email(outlook_message(winmail))

    assert parsed.text_body == "Grüße, die Zahlen anbei."
    assert parsed.new_text == "Grüße, die Zahlen anbei."


def test_tnef_body_ignored_with_outer_text() -> None:
    winmail = TnefBuilder(plain_body=b"Inner text.\r\n").build()

    parsed = parse_email(outlook_message(winmail, text="Outer text."))

    assert parsed.text_body == "Outer text."


def test_tnef_html_body_used_without_outer_text() -> None:
    winmail = TnefBuilder(html_body=b"<html><body><p>Numbers <b>attached</b>.</p></body></html>")
    parsed = parse_email(outlook_message(winmail.build()))

    assert parsed.html_body is not None
    assert "<b>attached</b>" in parsed.html_body
    assert "Numbers attached." in parsed.text_body


def test_tnef_rtf_body_read_as_text() -> None:
    document = (
        rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}"
        rb"{\colortbl;\red0\green0\blue0;}"
        rb"\pard\f0\fs20 Gr\'fc\'dfe aus \b M\u252?nchen\b0 .\par"
        rb"{\*\generator Msftedit 5.41;}Zweite Zeile\par}"
    )
    winmail = TnefBuilder(compressed_rtf=uncompressed_rtf(document)).build()

    parsed = parse_email(outlook_message(winmail))

    assert parsed.text_body == "Grüße aus München.\nZweite Zeile"


def test_truncated_tnef_keeps_original() -> None:
    winmail = TnefBuilder(files=[TnefFile(b"A.TXT", b"complete")]).build()
    damaged = winmail[:-9] + b"\xff" * 3

    parsed = parse_email(outlook_message(damaged, text="Outer text."))

    assert parsed.attachments[0].filename == "winmail.dat"
    assert parsed.attachments[0].content == damaged
    assert parsed.text_body == "Outer text."


def test_not_tnef_kept_with_warning() -> None:
    parsed = parse_email(outlook_message(b"this is no TNEF stream", text="Outer text."))

    assert [attachment.filename for attachment in parsed.attachments] == ["winmail.dat"]
    assert any("winmail.dat could not be read" in warning for warning in parsed.warnings)


def lzfu_stream(body: bytes, raw_size: int) -> bytes:
    return struct.pack("<IIII", len(body) + 12, raw_size, 0x75465A4C, 0) + body


def test_compressed_rtf_references_dictionary() -> None:
    # Control byte 0b0000_0001: a reference to dictionary offset 0 with length 6
    # ("{\rtf1"), then seven literal bytes.
    body = bytes([0b0000_0001]) + (0 << 4 | (6 - 2)).to_bytes(2, "big") + rb" Hi\par"
    # Control byte 0b0000_0010: one literal "}", then the end reference, which points at
    # the write position: 207 bytes of initial dictionary plus the 14 bytes written.
    body += bytes([0b0000_0010]) + b"}" + ((207 + 14) << 4).to_bytes(2, "big")

    document = decompress_rtf(lzfu_stream(body, raw_size=14))

    assert document == rb"{\rtf1 Hi\par}"
    assert rtf_to_text(document) == "Hi\n"


def test_compressed_rtf_mixed_stream() -> None:
    # Six dictionary references ("{\rtf1\ansi\", "ansi", "\pard", ...) between
    # literals, then the end reference.
    stream = bytes.fromhex(
        "2d0000002b0000004c5a4675f1c5c7a703000a00726370673132354232"
        "0af32068656c090020627705b06c647d0a800fa0"
    )

    document = decompress_rtf(stream)

    assert document == b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n"
    assert rtf_to_text(document) == "hello world"


@pytest.mark.parametrize(
    ("document", "text"),
    [
        (rb"{\rtf1 a\{b\}c\\d}", r"a{b}c\d"),
        (rb"{\rtf1\uc2 x\u8364\'80\'80y}", "x\u20acy"),
        (rb"{\rtf1 tab\tab end\line next}", "tab\tend\nnext"),
        (rb"{\rtf1{\info{\title Secret}}visible}", "visible"),
    ],
    ids=["escapes", "unicode fallback", "breaks", "info skipped"],
)
def test_rtf_text(document: bytes, text: str) -> None:
    assert rtf_to_text(document) == text


@dataclass(frozen=True)
class Gateway:
    smtp_port: int
    blobs: BlobStore


@pytest.fixture(scope="module")
async def gateway(
    nats_url: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Gateway]:
    blob_dir = tmp_path_factory.mktemp("tnef-blobs")
    settings = load_settings(
        GatewaySettings,
        environ={},
        nats_url=nats_url,
        database_url=database_url,
        http_port=free_port(),
        smtp_port=free_port(),
        relay_port=free_port(),
        blob_dir=str(blob_dir),
        max_attachment_bytes=64,
        log_level="warning",
    )
    async with serving(create_app(settings), settings.http_port):
        yield Gateway(settings.smtp_port, BlobStore(Path(blob_dir)))


def send(port: int, sender: str, raw: bytes) -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail(sender, ["support@helpdesk.test"], raw)
        code, reply = client.noop()
    return code, reply.decode()


async def test_tnef_files_stored_as_blobs(gateway: Gateway, nats_url: str) -> None:
    large = b"x" * 65
    winmail = TnefBuilder(
        plain_body=b"Numbers attached.\r\n",
        files=[TnefFile(b"NUMBERS.CSV", SPREADSHEET), TnefFile(b"LARGE.BIN", large)],
    ).build()
    message_id = f"{uuid.uuid4().hex}@mail.customer.test"
    # A sender of its own, so the per-sender rate limit of the shared database never applies.
    sender = f"{uuid.uuid4().hex[:8]}@customer.test"
    raw = outlook_message(winmail, None, message_id, sender)

    await asyncio.to_thread(send, gateway.smtp_port, sender, raw)

    async def published() -> list[object]:
        return await events_for(nats_url, message_id)  # type: ignore[return-value]

    [(_, event)] = await wait_until(published, timeout=20)
    stored = {attachment.filename: attachment for attachment in event.attachments}
    assert event.text_body == "Numbers attached."
    assert list(stored) == ["NUMBERS.CSV"]
    assert stored["NUMBERS.CSV"].size == len(SPREADSHEET)
    assert gateway.blobs.read(stored["NUMBERS.CSV"].sha256) == SPREADSHEET
    assert any("'winmail.dat'" in warning for warning in event.parse_warnings)
    assert any("'LARGE.BIN'" in warning for warning in event.parse_warnings)
