"""Property test: mutated and truncated fixtures parse or raise UnparseableEmail.

Each example starts from one message in `fixtures/` and applies a few random edits: byte
flips, truncation, insertions of control bytes, MIME syntax and very long lines, and
duplicated or removed header lines. `parse_email` must return a ParsedEmail or raise UnparseableEmail
with a non-empty reason that is not a converted internal exception. Any other exception
fails the test. The examples are derandomized, so every run checks the same inputs.
"""

from collections.abc import Callable
from pathlib import Path

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from email_gateway.parsing import ParsedEmail, UnparseableEmail, parse_email

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.eml"))
FIXTURE_BYTES = [path.read_bytes() for path in FIXTURES]

# Byte sequences that start or end MIME structure, or that real mail gets wrong.
INSERTED_SEQUENCES = [
    b"\x00",
    b"\r",
    b"\n",
    b"\r\n",
    b"\n\n",
    b"=?",
    b"?=",
    b"=?utf-8?B?",
    b"=?unknown-8bit?Q?=FF=00?=",
    b"--boundary",
    b"--boundary--",
    b'Content-Type: multipart/mixed; boundary="boundary"\n',
    b"Content-Transfer-Encoding: base64\n",
    b"\xff\xfe",
    b"\xe9",
    b":",
    b" ",
    b"\t",
    b"<",
    b">",
    b"x" * 5000,
    b"A" * 70000,
]

Mutation = Callable[[bytes], bytes]


def header_lines(raw: bytes) -> tuple[list[bytes], bytes]:
    """Split `raw` into its header lines (with line endings) and the rest of the message."""
    lines = raw.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if not line.strip():
            return lines[:index], b"".join(lines[index:])
    return lines, b""


@st.composite
def flip_byte(draw: st.DrawFn) -> Mutation:
    position = draw(st.integers(min_value=0, max_value=1 << 20))
    value = draw(st.integers(min_value=0, max_value=255))

    def apply(raw: bytes) -> bytes:
        if not raw:
            return raw
        index = position % len(raw)
        return raw[:index] + bytes([value]) + raw[index + 1 :]

    return apply


@st.composite
def truncate(draw: st.DrawFn) -> Mutation:
    position = draw(st.integers(min_value=0, max_value=1 << 20))
    return lambda raw: raw[: position % (len(raw) + 1)]


@st.composite
def insert_bytes(draw: st.DrawFn) -> Mutation:
    position = draw(st.integers(min_value=0, max_value=1 << 20))
    inserted = draw(
        st.one_of(st.sampled_from(INSERTED_SEQUENCES), st.binary(min_size=1, max_size=40))
    )
    repeat = draw(st.integers(min_value=1, max_value=3))

    def apply(raw: bytes) -> bytes:
        index = position % (len(raw) + 1)
        return raw[:index] + inserted * repeat + raw[index:]

    return apply


@st.composite
def duplicate_header(draw: st.DrawFn) -> Mutation:
    choice = draw(st.integers(min_value=0, max_value=1 << 16))
    copies = draw(st.integers(min_value=1, max_value=4))

    def apply(raw: bytes) -> bytes:
        headers, rest = header_lines(raw)
        if not headers:
            return raw
        index = choice % len(headers)
        headers[index:index] = [headers[index]] * copies
        return b"".join(headers) + rest

    return apply


@st.composite
def remove_header(draw: st.DrawFn) -> Mutation:
    choice = draw(st.integers(min_value=0, max_value=1 << 16))

    def apply(raw: bytes) -> bytes:
        headers, rest = header_lines(raw)
        if not headers:
            return raw
        del headers[choice % len(headers)]
        return b"".join(headers) + rest

    return apply


MUTATION = st.one_of(flip_byte(), truncate(), insert_bytes(), duplicate_header(), remove_header())


@st.composite
def mutated_message(draw: st.DrawFn) -> bytes:
    raw = draw(st.sampled_from(FIXTURE_BYTES))
    for mutation in draw(st.lists(MUTATION, min_size=1, max_size=6)):
        raw = mutation(raw)
    return raw


def test_fixtures_exist() -> None:
    assert len(FIXTURE_BYTES) >= 10


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(raw=mutated_message())
def test_mutated_message_parses_or_rejects(raw: bytes) -> None:
    try:
        result = parse_email(raw)
    except UnparseableEmail as error:
        assert isinstance(error.reason, str)
        assert error.reason.strip(), "UnparseableEmail must carry a reason"
        # parse_email turns unexpected exceptions into this reason, so it marks a bug.
        assert not error.reason.startswith("the parser failed with"), error.reason
        return

    assert isinstance(result, ParsedEmail)
    # Every string must be valid Unicode, because msgspec rejects lone surrogates.
    msgspec.json.encode(result)
