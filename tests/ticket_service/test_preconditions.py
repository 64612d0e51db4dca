"""If-Match parsing against ticket versions (RFC 9110 section 13.1.1)."""

import pytest

from ticket_service.errors import VersionMismatchError
from ticket_service.preconditions import IfMatch, etag


def test_etag_is_quoted_version() -> None:
    assert etag(5) == '"5"'


@pytest.mark.parametrize("header", ['"5"', '"4", "5"', "*", ' "5" '])
def test_matching_headers_pass(header: str) -> None:
    IfMatch(header).check(5)


@pytest.mark.parametrize("header", ['"4"', 'W/"5"', "5", '"5', ""])
def test_other_headers_fail(header: str) -> None:
    with pytest.raises(VersionMismatchError):
        IfMatch(header).check(5)
