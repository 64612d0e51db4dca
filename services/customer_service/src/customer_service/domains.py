"""Which sender domains may link a contact to a customer."""

from importlib import resources
from pathlib import Path


def _read_domain_lines(text: str) -> set[str]:
    domains = set()
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip().lower()
        if entry:
            domains.add(entry)
    return domains


def load_free_mail_domains(extra_file: str = "") -> frozenset[str]:
    """Return the built-in free-mail list plus the domains in `extra_file`, if given."""
    built_in = resources.files("customer_service").joinpath("free_mail_domains.txt")
    domains = _read_domain_lines(built_in.read_text(encoding="utf-8"))
    if extra_file:
        domains |= _read_domain_lines(Path(extra_file).read_text(encoding="utf-8"))
    return frozenset(domains)


def domain_of(address: str) -> str:
    """Return the lower-case domain part of an address, or "" when it has none."""
    _, at, domain = address.rpartition("@")
    return domain.strip().lower().rstrip(".") if at else ""


def normalize_address(address: str) -> str:
    """Return the address as stored: trimmed and lower-cased.

    NOTE: the local part is compared case-insensitively too, as every major mail
    provider does, although RFC 5321 lets a server treat it as case-sensitive.
    """
    return address.strip().lower()


def without_plus_tag(address: str) -> str:
    """Return `address` without a `+tag` in its local part (`a+b@x.com` becomes `a@x.com`)."""
    local, at, domain = address.rpartition("@")
    base, plus, _tag = local.partition("+")
    if not at or not plus or not base:
        return address
    return f"{base}@{domain}"


def parent_domains(domain: str) -> list[str]:
    """Return the parent domains of `domain`, nearest first, stopping above the top level.

    `a.eu.acme.com` gives `eu.acme.com` and `acme.com`; `com` alone is never returned.
    NOTE: without the public-suffix list, `x.co.uk` would offer `co.uk`; no customer can
    sensibly own such a suffix, so the walk simply finds no owner there.
    """
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(1, len(labels) - 1)]
