"""Random tokens for sessions and emailed links, and the digests stored in their place."""

import hashlib
import secrets

# 32 random bytes: guessing a live token is out of reach even with many replicas online.
TOKEN_BYTES = 32


def new_token() -> str:
    """Return a fresh URL-safe random token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """Return the hex SHA-256 stored for `token`, so a database leak yields no usable token.

    A fast hash is enough because the token is 256 random bits, not a password.
    """
    return hashlib.sha256(token.encode()).hexdigest()
