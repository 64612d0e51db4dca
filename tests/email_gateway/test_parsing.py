"""Tests of the email parser against small hand-written fixtures, one per real-world defect."""

from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from email_gateway.parsing import (
    ParsedEmail,
    UnparseableEmail,
    generated_message_id,
    parse_email,
)
from helpdesk_contracts.messages import EmailAddress

FIXTURES = Path(__file__).parent / "fixtures"


def read_fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse_fixture(name: str) -> ParsedEmail:
    return parse_email(read_fixture(name))


# --- headers ----------------------------------------------------------------------------


def test_folded_subject_decoded() -> None:
    parsed = parse_fixture("folded_rfc2047_subject.eml")

    # Adjacent encoded words join without the folding whitespace between them, and
    # the euro sign split across two words is put back together.
    assert parsed.subject == "Grüße aus München und € 100"


def test_display_names_decoded() -> None:
    parsed = parse_fixture("folded_rfc2047_subject.eml")

    assert parsed.sender == EmailAddress(address="Joerg@example.com", name="Jörg Müller")
    assert parsed.to[0] == EmailAddress(address="support@helpdesk.example", name="Support, Team")
    assert parsed.to[1] == EmailAddress(address="rene@example.net", name="René Dürr")
    assert len(parsed.to) == 2


def test_charset_alias_in_encoded_word() -> None:
    parsed = parse_fixture("folded_rfc2047_subject.eml")

    assert parsed.cc == (EmailAddress(address="shalom@example.org", name="שלום"),)
    assert parsed.warnings == ()


def test_sender_domain_lowercased() -> None:
    parsed = parse_fixture("folded_rfc2047_subject.eml")

    assert parsed.sender.address == "Joerg@example.com"


def test_raw_8bit_headers_decoded() -> None:
    parsed = parse_fixture("raw_8bit_headers.eml")

    assert parsed.subject == "Prüfung der Rechnung für März"
    assert parsed.sender.name == "Ute Wächter"
    assert "raw 8-bit bytes in the Subject header decoded as windows-1252" in parsed.warnings


def test_iso2022jp_subject_decoded() -> None:
    parsed = parse_fixture("iso2022jp_extension.eml")

    assert parsed.subject == "テスト"


def test_unindented_continuation_joined() -> None:
    parsed = parse_fixture("unindented_continuation.eml")

    assert parsed.message_id == "unindented@example.com"
    assert parsed.text_body == "Body after a broken fold."
    assert any("joined to the field above" in warning for warning in parsed.warnings)


def test_obsolete_space_before_colon() -> None:
    parsed = parse_fixture("obsolete_syntax.eml")

    assert parsed.sender == EmailAddress(address="wilma@example.com", name="Wilma Xu")
    assert parsed.subject == "Old header syntax"
    assert parsed.message_id == "obsolete@example.com"
    assert parsed.text_body == "Body in old syntax."


# --- dates ------------------------------------------------------------------------------


def test_date_converted_to_utc() -> None:
    parsed = parse_fixture("folded_rfc2047_subject.eml")

    assert parsed.sent_at == datetime(2025, 3, 13, 14, 45, tzinfo=UTC)
    assert parsed.original_date_header == "Thu, 13 Mar 2025 15:45:00 +0100"


def test_date_with_comments_parsed() -> None:
    parsed = parse_fixture("obsolete_syntax.eml")

    assert parsed.sent_at == datetime(2025, 3, 21, 8, 30, tzinfo=UTC)


def test_absurd_date_ignored() -> None:
    parsed = parse_fixture("absurd_date.eml")

    assert parsed.sent_at is None
    assert parsed.original_date_header == "Fri, 31 Dec 99999999999999999999 99:99:99 +99999"
    assert any(warning.startswith("invalid Date header") for warning in parsed.warnings)


def test_missing_date_is_none() -> None:
    raw = b"From: a@example.com\nMessage-ID: <x@example.com>\n\nbody\n"

    parsed = parse_email(raw)

    assert parsed.sent_at is None
    assert parsed.original_date_header is None


# --- message ids ------------------------------------------------------------------------


def test_missing_message_id_generated() -> None:
    raw = read_fixture("missing_message_id.eml")

    parsed = parse_email(raw)

    assert parsed.message_id_generated is True
    assert parsed.message_id == generated_message_id(raw)
    assert parsed.message_id.endswith("@generated.helpdesk.invalid")
    assert "<" not in parsed.message_id


def test_generated_id_deterministic() -> None:
    first = generated_message_id(b"same bytes")
    second = generated_message_id(b"same bytes")
    other = generated_message_id(b"other bytes")

    assert first == second
    assert first != other


def test_crashing_message_id_kept() -> None:
    parsed = parse_fixture("crashing_message_id.eml")

    assert parsed.message_id == "[12345.outlook]@example.com"
    assert parsed.message_id_generated is False
    assert parsed.references == ("first@example.com", "[second]@example.com")


def test_reply_ids_without_brackets() -> None:
    parsed = parse_fixture("auto_reply.eml")

    assert parsed.in_reply_to == ("ticket-1001-reply@helpdesk.example",)
    assert parsed.references == (
        "ticket-1001@helpdesk.example",
        "ticket-1001-reply@helpdesk.example",
    )


# --- bodies -----------------------------------------------------------------------------


def test_alternative_prefers_plain_text() -> None:
    parsed = parse_fixture("alternative_plain_html.eml")

    assert parsed.text_body == "Plain version."
    assert parsed.html_body == "<p>HTML <b>version</b>.</p>"


def test_html_only_text_derived() -> None:
    parsed = parse_fixture("html_only.eml")

    assert parsed.text_body.startswith("Hello team,\n\nInvoice #4711 shows 12 € too much & the")
    assert "- Item one\n- Item two" in parsed.text_body
    assert "> Your invoice is attached." in parsed.text_body
    assert "Kind regards\nFrieda" in parsed.text_body
    assert "alert" not in parsed.text_body
    assert "color: red" not in parsed.text_body
    assert "Mail" not in parsed.text_body


def test_html_sanitized() -> None:
    parsed = parse_fixture("html_only.eml")
    html = parsed.html_body

    assert html is not None
    assert "<script" not in html
    assert "onload" not in html
    assert "onclick" not in html
    assert "javascript:" not in html
    assert "tracker.example.net" not in html
    assert 'href="https://example.net/help"' in html
    assert 'style="color:blue"' in html


def test_inline_cid_image_kept() -> None:
    parsed = parse_fixture("inline_cid_image.eml")

    assert len(parsed.attachments) == 1
    image = parsed.attachments[0]
    assert image.content_type == "image/png"
    assert image.content_id == "shot1@example.com"
    assert image.inline is True
    assert image.content == b"\x89PNG\r\n\x1a\n"
    assert parsed.html_body is not None
    assert 'src="cid:shot1@example.com"' in parsed.html_body
    assert parsed.text_body == "See the screenshot below."


def test_broken_boundary_recovered() -> None:
    parsed = parse_fixture("broken_boundary.eml")

    assert parsed.text_body == "The printer on floor 3 shows offline since this morning."
    assert [attachment.filename for attachment in parsed.attachments] == ["status.log"]
    assert parsed.attachments[0].content == b"printer offline\n"
    assert "multipart/mixed part had no usable boundary; recovered it from the body" in (
        parsed.warnings
    )


def test_boundaryless_multipart_kept_as_text() -> None:
    parsed = parse_fixture("missing_boundary_text.eml")

    assert parsed.text_body == "Please reset my password, the link in your last mail expired."
    assert parsed.attachments == ()
    assert any("kept its body as plain text" in warning for warning in parsed.warnings)


def test_unknown_charset_decoded() -> None:
    parsed = parse_fixture("unknown_charset.eml")

    assert parsed.text_body == "Grüße aus Köln, die Résumés sind da."
    assert parsed.warnings == (
        "unknown charset 'x-unknown' in text/plain part decoded as windows-1252",
    )


def test_nul_in_charset_name() -> None:
    parsed = parse_fixture("nul_charset.eml")

    assert parsed.text_body == "Plain words."
    assert len(parsed.warnings) == 1
    assert parsed.warnings[0].startswith("unknown charset 'utf\\x00-8'")


def test_mislabelled_utf8_decoded() -> None:
    parsed = parse_fixture("mislabeled_utf8.eml")

    assert parsed.text_body == "Привет, это тест."
    assert any("is UTF-8" in warning for warning in parsed.warnings)


def test_iso2022jp_extension_decoded() -> None:
    parsed = parse_fixture("iso2022jp_extension.eml")

    assert parsed.text_body == "① step one"


def test_bare_cr_line_endings() -> None:
    parsed = parse_fixture("bare_cr.eml")

    assert parsed.subject == "Old Mac mail"
    assert parsed.message_id == "bare-cr@example.com"
    assert parsed.text_body == "First line.\nSecond line."


def test_crlf_line_endings_normalized() -> None:
    parsed = parse_fixture("mislabeled_utf8.eml")

    assert "\r" not in parsed.text_body
    assert parsed.subject == "Mislabelled charset"


def test_empty_body_parses() -> None:
    parsed = parse_fixture("empty_body.eml")

    assert parsed.text_body == ""
    assert parsed.html_body is None
    assert parsed.subject == ""
    assert parsed.attachments == ()


def test_uuencoded_file_extracted() -> None:
    parsed = parse_fixture("uuencoded.eml")

    assert parsed.text_body == "The log is attached below.\n\nThanks."
    assert len(parsed.attachments) == 1
    assert parsed.attachments[0].filename == "error.txt"
    assert parsed.attachments[0].content == b"error 42\n"
    assert parsed.attachments[0].content_type == "text/plain"


# --- attachments ------------------------------------------------------------------------


def test_rfc2231_filename_decoded() -> None:
    parsed = parse_fixture("rfc2231_filename.eml")

    assert parsed.attachments[0].filename == "Vertrag für Müller.pdf"
    assert parsed.attachments[0].content == b"%PDF-1.4\n"
    assert parsed.attachments[0].inline is False


def test_encoded_word_filename_decoded() -> None:
    parsed = parse_fixture("rfc2231_filename.eml")

    assert parsed.attachments[1].filename == "Notiz über Termin.txt"
    assert parsed.attachments[1].content == b"note"
    assert parsed.text_body == "Contract attached."


def test_embedded_message_is_eml() -> None:
    parsed = parse_fixture("forwarded_message.eml")

    assert parsed.text_body == "Is this mail from you?"
    assert len(parsed.attachments) == 1
    forwarded = parsed.attachments[0]
    assert forwarded.filename == "Gewinn für Sie.eml"
    assert forwarded.content_type == "message/rfc822"
    assert b"Message-ID: <inner-1@example.net>" in forwarded.content
    assert b"You have won a prize." in forwarded.content


# --- automatic mail ---------------------------------------------------------------------


def test_auto_reply_detected() -> None:
    parsed = parse_fixture("auto_reply.eml")

    assert parsed.auto_submitted is True
    assert parsed.auto_submitted_reason == "Auto-Submitted: auto-replied"


def test_precedence_bulk_detected() -> None:
    parsed = parse_fixture("precedence_bulk.eml")

    assert parsed.auto_submitted is True
    assert parsed.auto_submitted_reason == "Precedence: bulk"
    assert parsed.list_id == "digest.lists.example.com"


def test_delivery_status_detected() -> None:
    parsed = parse_fixture("delivery_status.eml")

    assert parsed.auto_submitted is True
    assert parsed.auto_submitted_reason == "multipart/report; report-type=delivery-status"
    assert parsed.sender.address == "MAILER-DAEMON@mx.example.net"
    assert parsed.text_body == "Your message could not be delivered to ivan@example.org."


def test_delivery_status_parts_kept() -> None:
    parsed = parse_fixture("delivery_status.eml")
    names = [attachment.filename for attachment in parsed.attachments]

    assert names == ["delivery-status.txt", "[Ticket#1002] Your request.eml"]
    assert b"Status: 5.1.1" in parsed.attachments[0].content
    assert b"<ticket-1002-reply@helpdesk.example>" in parsed.attachments[1].content


def test_mailer_daemon_sender_detected() -> None:
    raw = b"From: MAILER-DAEMON@mx.example.net\nSubject: failure notice\n\nI could not deliver.\n"

    parsed = parse_email(raw)

    assert parsed.auto_submitted is True
    assert parsed.auto_submitted_reason == "sender MAILER-DAEMON@mx.example.net"


def test_human_mail_not_automatic() -> None:
    parsed = parse_fixture("alternative_plain_html.eml")

    assert parsed.auto_submitted is False
    assert parsed.auto_submitted_reason is None
    assert parsed.list_id is None


# --- unparseable input ------------------------------------------------------------------


def test_body_only_text_rejected() -> None:
    with pytest.raises(UnparseableEmail) as error:
        parse_fixture("body_only.eml")

    assert "no header block" in error.value.reason


def test_missing_sender_rejected() -> None:
    with pytest.raises(UnparseableEmail) as error:
        parse_fixture("no_sender.eml")

    assert error.value.reason == "no sender address in From, Sender or Return-Path"


def test_outlook_msg_rejected() -> None:
    with pytest.raises(UnparseableEmail) as error:
        parse_fixture("ole_compound_file.eml")

    assert "Outlook .msg" in error.value.reason


def test_empty_input_rejected() -> None:
    with pytest.raises(UnparseableEmail) as error:
        parse_email(b"")

    assert "empty" in error.value.reason


def test_sender_falls_back_to_return_path() -> None:
    raw = b"Return-Path: <bounce@example.org>\nFrom: Mailer Robot\nSubject: hi\n\nbody\n"

    parsed = parse_email(raw)

    assert parsed.sender == EmailAddress(address="bounce@example.org")
    assert "no usable From address; the sender was taken from Return-Path" in parsed.warnings


def test_unexpected_error_wrapped() -> None:
    with pytest.raises(UnparseableEmail) as error:
        parse_email("not bytes")  # type: ignore[arg-type]

    assert error.value.reason.startswith("the parser failed with TypeError")


# --- result -----------------------------------------------------------------------------


def test_result_encodes_as_json() -> None:
    parsed = parse_fixture("raw_8bit_headers.eml")

    decoded = msgspec.json.decode(msgspec.json.encode(parsed), type=ParsedEmail)

    assert decoded == parsed


def test_encoded_reply_ids_decoded() -> None:
    parsed = parse_fixture("encoded_reply_ids.eml")

    expected = (
        "ticket.6f1c2f0e-8d2b-4c55-9d1e-0b8f4c3a2e11.2b7e9d40-aa10-4bdb-9823-7157471c0009"
        "@helpdesk.example"
    )
    assert parsed.in_reply_to == (expected,)
    assert parsed.references == ("root-1@mail.example.org", expected)
    assert parsed.message_id == "answer-1@mail.example.org"
