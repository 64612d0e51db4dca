"""Reply separation: the new text of a reply without quoted history and signature."""

import os
from pathlib import Path

import pytest

from email_gateway.parsing import parse_email
from email_gateway.parsing.reply_text import new_reply_text

GMAIL_ENGLISH = """\
Thanks, the printer works again.

On Fri, Dec 4, 2026 at 10:00 AM Support <support@helpdesk.test> wrote:
> Please restart the printer.
>
> Regards, Support
"""

GMAIL_WRAPPED = """\
Still broken after the restart.

On Fri, Dec 4, 2026 at 10:00 AM Helpdesk Support Team of Example Corporation
<support@helpdesk.test> wrote:
> Please restart the printer.
"""

GERMAN = """\
Danke, der Drucker läuft wieder.

Am Fr., 4. Dez. 2026 um 10:00 Uhr schrieb Support <support@helpdesk.test>:
> Bitte starten Sie den Drucker neu.
"""

FRENCH = """\
Merci, l'imprimante fonctionne.

Le ven. 4 déc. 2026 à 10:00, Support <support@helpdesk.test> a\u00a0écrit\u00a0:
> Veuillez redémarrer l'imprimante.
"""

APPLE_MAIL = """\
It works now.

Sent from my iPhone

> On 4 Dec 2026, at 10:00, Support <support@helpdesk.test> wrote:
>
> Please restart the printer.
"""

THUNDERBIRD = """\
Which model do you need?

Jane Roe wrote:
> What is the model number?
"""

OUTLOOK_HEADER_BLOCK = """\
Please find the invoice attached.

________________________________
From: Support <support@helpdesk.test>
Sent: Friday, December 4, 2026 10:00 AM
To: Jane Roe <jane@customer.test>
Subject: RE: Invoice

Could you send us the invoice?
"""

OUTLOOK_GERMAN_BLOCK = """\
Anbei die Rechnung.

Von: Support <support@helpdesk.test>
Gesendet: Freitag, 4. Dezember 2026 10:00
An: Jane Roe <jane@customer.test>
Betreff: AW: Rechnung

Könnten Sie uns die Rechnung senden?
"""

OUTLOOK_ORIGINAL_MESSAGE = """\
See my answers above.

-----Original Message-----
From: Support
Could you send us the invoice?
"""

# The separator is "-- " with a trailing space (RFC 3676 section 4.3).
SIGNATURE = "The export fails with error 42.\n\n-- \nJane Roe\nCustomer Corp, Head of IT\n"

MOBILE_ONLY = """\
Yes, please close the ticket.

Sent from my Android phone
"""

INTERLEAVED = """\
> Which version do you use?
Version 3.2.

> Does the error happen every time?
Only on Mondays.
"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (GMAIL_ENGLISH, "Thanks, the printer works again."),
        (GMAIL_WRAPPED, "Still broken after the restart."),
        (GERMAN, "Danke, der Drucker läuft wieder."),
        (FRENCH, "Merci, l'imprimante fonctionne."),
        (APPLE_MAIL, "It works now."),
        (THUNDERBIRD, "Which model do you need?"),
        (OUTLOOK_HEADER_BLOCK, "Please find the invoice attached."),
        (OUTLOOK_GERMAN_BLOCK, "Anbei die Rechnung."),
        (OUTLOOK_ORIGINAL_MESSAGE, "See my answers above."),
        (SIGNATURE, "The export fails with error 42."),
        (MOBILE_ONLY, "Yes, please close the ticket."),
    ],
    ids=[
        "gmail",
        "gmail-wrapped",
        "german",
        "french",
        "apple-mail",
        "thunderbird",
        "outlook-block",
        "outlook-german",
        "original-message",
        "signature",
        "mobile",
    ],
)
def test_reply_text_cuts_history(body: str, expected: str) -> None:
    assert new_reply_text(body) == expected


def test_reply_text_keeps_interleaved_quotes() -> None:
    assert new_reply_text(INTERLEAVED) == INTERLEAVED.strip()


def test_reply_text_plain_message_unchanged() -> None:
    body = "Hello,\n\nmy order 1234 has not arrived.\n\nJane"

    assert new_reply_text(body) == body


def test_reply_text_forward_without_comment_kept() -> None:
    body = "-----Original Message-----\nFrom: Bob\nPlease pay the invoice."

    assert new_reply_text(body) == body


def test_reply_text_word_wrote_in_prose_kept() -> None:
    body = "My colleague wrote:\nthe report is attached, but I cannot open it."

    assert new_reply_text(body) == body


def test_reply_text_empty() -> None:
    assert new_reply_text("") == ""


def test_parsed_email_has_new_text() -> None:
    raw = (
        "From: Jane Roe <jane@customer.test>\r\nTo: support@helpdesk.test\r\n"
        "Subject: Re: Printer\r\nMessage-ID: <reply-text@customer.test>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + GMAIL_ENGLISH.replace("\n", "\r\n")
    ).encode()

    parsed = parse_email(raw)

    assert parsed.new_text == "Thanks, the printer works again."
    assert "Please restart the printer." in parsed.text_body


# Folders of the corpus that hold reply bodies without headers, one reply per file.
BODY_ONLY_SETS = (
    "discourse-email_reply_trimmer",
    "github-email_reply_parser",
    "zapier-email-reply-parser",
    "mailgun-talon/standard_replies",
)


def body_only_files() -> list[Path]:
    folder = os.environ.get("HELPDESK_EMAIL_CORPUS")
    if not folder:
        pytest.skip("HELPDESK_EMAIL_CORPUS is not set, so there are no reply sets")
    root = Path(folder)
    files = [
        path
        for name in BODY_ONLY_SETS
        if (root / name).is_dir()
        for path in sorted((root / name).rglob("*"))
        if path.is_file() and path.suffix == ".txt"
    ]
    if not files:
        pytest.skip(f"no body-only reply sets under {root}")
    return files


@pytest.mark.corpus
def test_reply_text_over_corpus_reply_sets() -> None:
    empty_results = []
    for path in body_only_files():
        body = path.read_bytes().decode("utf-8", "replace")

        result = new_reply_text(body)

        if body.strip() and not result:
            empty_results.append(path)
    assert empty_results == []
