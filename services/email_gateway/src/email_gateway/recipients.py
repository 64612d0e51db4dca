"""The envelope recipients the SMTP listener accepts.

The gateway is not an open relay: it takes mail only for the configured support
addresses. A plus-addressed form `support+tag@domain` (subaddressing, RFC 5233) reaches
the same mailbox, so it is accepted too. Addresses are compared case-insensitively,
because mail systems in practice treat the local part that way, though RFC 5321 allows
a case-sensitive one.
"""

from dataclasses import dataclass

SUBADDRESS_SEPARATOR = "+"


def split_addresses(value: str) -> frozenset[str]:
    """Return the lower-cased addresses of a comma-separated list, without blanks."""
    return frozenset(part.strip().lower() for part in value.split(",") if part.strip())


def without_subaddress(address: str) -> str:
    """Return `address` lower-cased and with any `+tag` removed from its local part."""
    local, at, domain = address.strip().lower().rpartition("@")
    if not at:
        return address.strip().lower()

    base, _, _ = local.partition(SUBADDRESS_SEPARATOR)
    return f"{base}@{domain}"


@dataclass(frozen=True)
class RecipientPolicy:
    """The support addresses mail is accepted for; an empty set accepts every recipient."""

    support_addresses: frozenset[str]

    @classmethod
    def from_setting(cls, value: str) -> "RecipientPolicy":
        return cls(split_addresses(value))

    def accepts(self, address: str) -> bool:
        """Return whether mail to `address` is for one of the support addresses."""
        if not self.support_addresses:
            return True

        normalized = address.strip().lower()
        if normalized in self.support_addresses:
            return True
        return without_subaddress(normalized) in self.support_addresses
