"""HTTP conditional requests on tickets: the ETag is the ticket version (RFC 9110 8.8.3).

Clients send the ETag back in If-Match on PATCH, reply and note requests, so a change
made from a stale view is rejected with 412 instead of silently overwriting another
agent's change.
"""

import re

from ticket_service.errors import VersionMismatchError

_ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')


def etag(version: int) -> str:
    """Return the strong entity tag of a ticket version."""
    return f'"{version}"'


class IfMatch:
    """A parsed If-Match header value: `*` or a list of entity tags."""

    def __init__(self, header: str) -> None:
        self.header = header.strip()
        self.any = self.header == "*"
        self.versions = self._strong_tags(self.header)

    @staticmethod
    def _strong_tags(header: str) -> frozenset[str]:
        # If-Match uses the strong comparison, so a weak tag (W/"3") never matches.
        return frozenset(value for weak, value in _ENTITY_TAG.findall(header) if not weak)

    def check(self, version: int) -> None:
        """Raise `VersionMismatchError` unless `version` matches the header."""
        if self.any or str(version) in self.versions:
            return
        raise VersionMismatchError(self.header, version)
