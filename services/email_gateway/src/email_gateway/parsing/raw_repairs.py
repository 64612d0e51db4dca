"""Repair defects of raw input that would otherwise hide the header block or part of it.

The compat32 parser ends the header block at the first line that is neither a field
nor a continuation, and reads everything after it as body. It also cannot see header
lines in files whose lines end in a bare CR. The repairs run before MIME parsing.
"""

import re

# RFC 5322 section 2.2: a field name is printable ASCII except ":", followed by ":".
_FIELD_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")
_CONTINUATION_LINE = re.compile(rb"^[ \t]")
_MBOX_FROM_LINE = re.compile(rb"^From ")
_HEADER_BLOCK_END = re.compile(rb"\r?\n\r?\n")
_BARE_CR = re.compile(rb"\r(?!\n)")
_SPACE_BEFORE_COLON = re.compile(rb"^([!-9;-~]+)[ \t]+:", re.MULTILINE)

_MAX_ECHOED_LENGTH = 60


def normalize_line_endings(raw: bytes) -> bytes:
    """Turn bare-CR line endings into LF when the first line ends in a bare CR.

    Classic Mac OS software ended lines with CR alone. CRLF line endings are kept. Stray
    CRs inside a file whose first line ends normally are content and stay as they are.
    """
    first_break = re.search(rb"\r\n|\r|\n", raw)
    if first_break is None or first_break.group(0) != b"\r":
        return raw
    return _BARE_CR.sub(b"\n", raw)


def remove_space_before_colon(raw: bytes, warnings: list[str]) -> bytes:
    """Rewrite obsolete "Name : value" header lines to "Name: value".

    RFC 5322 section 4.5 allows white space between a field name and its colon in the
    obsolete syntax, but the compat32 parser ends the header block at such a line.
    """
    end = _HEADER_BLOCK_END.search(raw)
    header_end = end.start() if end is not None else len(raw)
    header, count = _SPACE_BEFORE_COLON.subn(rb"\1:", raw[:header_end])
    if not count:
        return raw

    warnings.append(f"{count} header field name(s) followed by white space before the colon")
    return header + raw[header_end:]


def repair_unindented_continuations(raw: bytes, warnings: list[str]) -> bytes:
    """Indent junk lines inside the header block so that they continue the field above.

    Broken folders emit continuation lines without the leading whitespace that RFC 5322
    section 2.2.3 requires, and some of them split a Content-Type before its boundary
    parameter. A line is repaired only when a valid field line follows it inside the
    header block. A header block that runs into the body without a blank line therefore
    keeps its body.
    """
    end = _HEADER_BLOCK_END.search(raw)
    header_end = end.start() if end is not None else len(raw)
    lines = raw[:header_end].splitlines(keepends=True)
    if not lines or not (_FIELD_LINE.match(lines[0]) or _MBOX_FROM_LINE.match(lines[0])):
        return raw

    last_field = max(index for index, line in enumerate(lines) if _is_header_line(line, index))
    repaired = list(lines)
    joined = [
        index for index, line in enumerate(lines[:last_field]) if not _is_header_line(line, index)
    ]
    if not joined:
        return raw

    for index in joined:
        repaired[index] = b" " + lines[index]
    first = lines[joined[0]].rstrip(b"\r\n")[:_MAX_ECHOED_LENGTH].decode("ascii", "replace")
    warnings.append(
        f"{len(joined)} header line(s) without leading whitespace joined to the field above,"
        f" the first {first!r}"
    )
    return b"".join(repaired) + raw[header_end:]


def _is_header_line(line: bytes, index: int) -> bool:
    if _FIELD_LINE.match(line) or _CONTINUATION_LINE.match(line):
        return True
    return index == 0 and _MBOX_FROM_LINE.match(line) is not None
