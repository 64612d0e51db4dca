"""Subject tags and reply subjects."""

import pytest

from ticket_service.mail_subjects import reply_subject, ticket_numbers_in, ticket_subject


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Printer broken", "Re: Printer broken [#42]"),
        ("Re: Printer broken", "Re: Printer broken [#42]"),
        ("RE: re:Printer broken", "Re: Printer broken [#42]"),
        ("AW: Re[2]: Printer broken", "Re: Printer broken [#42]"),
        ("Re: Printer broken [#42]", "Re: Printer broken [#42]"),
        ("Printer [#42] broken", "Re: Printer broken [#42]"),
        ("Question about [#7]", "Re: Question about [#7] [#42]"),
        ("Reactor offline", "Re: Reactor offline [#42]"),
        ("", "Re: [#42]"),
        ("(no subject)", "Re: [#42]"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject, 42) == expected


def test_ticket_numbers_in_order_without_repeats() -> None:
    assert ticket_numbers_in("Re: [#12] and [#3] and [#12]") == [12, 3]


def test_ticket_numbers_ignore_other_brackets() -> None:
    assert ticket_numbers_in("[12] [#] [#x1] #14") == []


def test_blank_subject_gets_placeholder() -> None:
    assert ticket_subject("   ") == "(no subject)"
