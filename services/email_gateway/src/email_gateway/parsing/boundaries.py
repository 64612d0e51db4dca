"""Recover multipart bodies whose boundary parameter is missing or wrong.

When the parser cannot find the boundary a multipart part declares, compat32 keeps the
whole body as one opaque payload. Such bodies usually still contain delimiter lines
("--" boundary, RFC 2046 section 5.1.1). The boundary is taken from the first one that
a Content-* header line follows, and the part is parsed again with it. The delimiters
are rewritten to a plain boundary first, because compat32 strips angle brackets and
quotes from a boundary parameter and then cannot match delimiters like "--<<001-3e>>".
"""

import re
from email import message_from_bytes, policy
from email.message import Message

# RFC 2046 section 5.1.1: a boundary is 1 to 70 characters and may not end in a space.
# Requiring a Content-* field on the next line keeps rulers such as "----------" and
# other dashed lines of plain text from being taken for delimiters.
_DELIMITER_LINE = re.compile(rb"^--([^\r\n]{0,69}\S)[ \t]*\r?\n(?i:content-)", re.MULTILINE)

# Contains "=_", which neither base64 nor quoted-printable text can contain (RFC 2045
# section 6.7 allows "=" only before two hex digits or a line break), so the
# replacement cannot occur inside an encoded part.
_REPLACEMENT_BOUNDARY = b"=_helpdesk_recovered_boundary"

# Each candidate costs a parse of the whole body, so only the first few are tried.
_MAX_CANDIDATES = 3


def recover_multipart(content_type: str, body: bytes) -> Message | None:
    """Return `body` parsed as `content_type` with a boundary found in it, or None.

    None means no delimiter line in the body splits it into at least one part.
    """
    for boundary in _candidate_boundaries(body):
        delimiter = re.compile(rb"^--" + re.escape(boundary) + rb"(?=--|[ \t]*\r?$)", re.MULTILINE)
        rewritten = delimiter.sub(b"--" + _REPLACEMENT_BOUNDARY, body)
        header = b'Content-Type: %s; boundary="%s"\r\n\r\n' % (
            content_type.encode(),
            _REPLACEMENT_BOUNDARY,
        )
        reparsed = message_from_bytes(header + rewritten, policy=policy.compat32)
        if reparsed.is_multipart() and reparsed.get_payload():
            return reparsed
    return None


def _candidate_boundaries(body: bytes) -> list[bytes]:
    candidates: list[bytes] = []
    for match in _DELIMITER_LINE.finditer(body):
        boundary = match.group(1)
        if boundary not in candidates:
            candidates.append(boundary)
        if len(candidates) == _MAX_CANDIDATES:
            break
    return candidates
