"""Calendar invitations described in the text, and S/MIME or OpenPGP state on the message."""

from email_gateway.parsing import parse_email
from email_gateway.parsing.calendar_invites import describe_invitation

INVITATION = """\
BEGIN:VCALENDAR\r
VERSION:2.0\r
METHOD:REQUEST\r
BEGIN:VEVENT\r
UID:printer-review@customer.test\r
SUMMARY:Printer review\\, second floor\r
DTSTART;TZID=Europe/Berlin:20261207T143000\r
DTEND;TZID=Europe/Berlin:20261207T150000\r
ORGANIZER;CN="Jane Roe":mailto:jane@customer.test\r
BEGIN:VALARM\r
SUMMARY:Reminder\r
END:VALARM\r
END:VEVENT\r
END:VCALENDAR\r
"""


def multipart(content_type: str, parts: list[tuple[str, str]]) -> bytes:
    body = "".join(
        f"--b1\r\nContent-Type: {ctype}\r\n\r\n{content}\r\n" for ctype, content in parts
    )
    return (
        "From: Jane Roe <jane@customer.test>\r\nTo: support@helpdesk.test\r\n"
        "Subject: Meeting\r\nMessage-ID: <meeting@customer.test>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: {content_type}; boundary="b1"\r\n\r\n{body}--b1--\r\n'
    ).encode()


def test_invitation_described() -> None:
    assert describe_invitation(INVITATION) == (
        "Calendar invitation: Printer review, second floor\n"
        "Starts: 2026-12-07 14:30 (Europe/Berlin)\n"
        "Organizer: Jane Roe <jane@customer.test>"
    )


def test_invitation_utc_and_folded_summary() -> None:
    calendar = (
        "BEGIN:VEVENT\nSUMMARY:Quarterly service review with the customer\n"
        "  team\nDTSTART:20261207T090000Z\nORGANIZER:mailto:ops@customer.test\nEND:VEVENT\n"
    )

    assert describe_invitation(calendar) == (
        "Calendar invitation: Quarterly service review with the customer team\n"
        "Starts: 2026-12-07 09:00 UTC\n"
        "Organizer: ops@customer.test"
    )


def test_calendar_without_event_not_described() -> None:
    assert describe_invitation("BEGIN:VCALENDAR\nBEGIN:VTODO\nEND:VTODO\nEND:VCALENDAR\n") == ""


def test_invitation_appended_to_text() -> None:
    raw = multipart(
        "multipart/mixed",
        [("text/plain", "Shall we meet?"), ("text/calendar; method=REQUEST", INVITATION)],
    )

    parsed = parse_email(raw)

    assert parsed.text_body.startswith("Shall we meet?\n\nCalendar invitation: Printer review")
    assert "Starts: 2026-12-07 14:30 (Europe/Berlin)" in parsed.new_text
    assert [a.content_type for a in parsed.attachments] == ["text/calendar"]


def test_smime_signed_flagged() -> None:
    raw = multipart(
        'multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256',
        [("text/plain", "Signed text."), ("application/pkcs7-signature", "MIIB")],
    )

    parsed = parse_email(raw)

    assert parsed.signed is True
    assert parsed.encrypted is False
    assert "Signed text." in parsed.text_body
    assert [a.content_type for a in parsed.attachments] == ["application/pkcs7-signature"]


def test_pgp_encrypted_flagged() -> None:
    raw = multipart(
        'multipart/encrypted; protocol="application/pgp-encrypted"',
        [
            ("application/pgp-encrypted", "Version: 1"),
            ("application/octet-stream", "-----BEGIN PGP MESSAGE-----\r\nhQEM\r\n"),
        ],
    )

    parsed = parse_email(raw)

    assert parsed.encrypted is True
    assert parsed.signed is False


def test_smime_enveloped_flagged_encrypted() -> None:
    raw = (
        b"From: jane@customer.test\r\nSubject: secret\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nMIIBAAAA\r\n"
    )

    parsed = parse_email(raw)

    assert parsed.encrypted is True


def test_inline_pgp_signature_flagged() -> None:
    raw = (
        b"From: jane@customer.test\r\nSubject: signed\r\n\r\n"
        b"-----BEGIN PGP SIGNED MESSAGE-----\r\nHash: SHA256\r\n\r\nHello\r\n"
        b"-----BEGIN PGP SIGNATURE-----\r\nabc\r\n-----END PGP SIGNATURE-----\r\n"
    )

    parsed = parse_email(raw)

    assert parsed.signed is True


def test_plain_mail_neither_signed_nor_encrypted() -> None:
    parsed = parse_email(b"From: jane@customer.test\r\nSubject: hi\r\n\r\nHello\r\n")

    assert parsed.signed is False
    assert parsed.encrypted is False
