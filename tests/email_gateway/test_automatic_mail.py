"""Automatic mail flagged by the parser, and the help desk's own mail recognised."""

import uuid

import pytest

from email_gateway.loops import sent_ticket_id
from email_gateway.parsing import parse_email
from email_gateway.parsing.auto_reply import is_automatic_reply


def message_with(*header_lines: str) -> bytes:
    headers = "\r\n".join(
        (
            "From: Jane Roe <jane@customer.test>",
            "To: support@helpdesk.test",
            "Subject: Hello",
            "Message-ID: <automatic@customer.test>",
            *header_lines,
        )
    )
    return f"{headers}\r\n\r\nHello\r\n".encode()


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Auto-Submitted: auto-generated", "Auto-Submitted: auto-generated"),
        ("Precedence: junk", "Precedence: junk"),
        ("Precedence: list", "Precedence: list"),
        ("X-Autoreply: yes", "X-Autoreply: yes"),
        ("X-Autorespond: Out of office", "X-Autorespond: out of office"),
        ("List-Id: Printers <printers.lists.customer.test>", "List-Id: Printers"),
    ],
)
def test_automatic_mail_flagged(header: str, reason: str) -> None:
    parsed = parse_email(message_with(header))

    assert parsed.auto_submitted is True
    assert parsed.auto_submitted_reason is not None
    assert parsed.auto_submitted_reason.startswith(reason)


@pytest.mark.parametrize(
    ("header", "answers_a_message"),
    [
        ("Auto-Submitted: auto-replied", True),
        ("Auto-Submitted: auto-replied; owner-email=jane@customer.test", True),
        ("X-Autoreply: yes", True),
        ("X-Autorespond: Out of office", True),
        ("Precedence: auto_reply", True),
        ("Auto-Submitted: auto-generated", False),
        ("Auto-Submitted: auto-notified", False),
        ("Precedence: bulk", False),
        ("List-Id: Printers <printers.lists.customer.test>", False),
    ],
)
def test_automatic_replies_told_apart(header: str, answers_a_message: bool) -> None:
    parsed = parse_email(message_with(header))

    assert parsed.auto_submitted is True
    assert is_automatic_reply(parsed.auto_submitted_reason) is answers_a_message


@pytest.mark.parametrize("header", ["Auto-Submitted: no", "X-Autoreply: no", "Precedence: first"])
def test_human_markers_not_flagged(header: str) -> None:
    parsed = parse_email(message_with(header))

    assert parsed.auto_submitted is False


def test_own_ticket_header_recognised() -> None:
    ticket_id = str(uuid.uuid4())
    raw = message_with(f"X-Helpdesk-Ticket: {ticket_id}")

    assert sent_ticket_id(raw, "automatic@customer.test") == ticket_id


def test_own_message_id_format_recognised() -> None:
    ticket_id = str(uuid.uuid4())
    message_id = f"ticket.{ticket_id}.{uuid.uuid4()}@helpdesk.test"

    assert sent_ticket_id(message_with(), message_id) == ticket_id


def test_customer_message_id_not_own() -> None:
    assert sent_ticket_id(message_with(), "ticket.1234@customer.test") is None
