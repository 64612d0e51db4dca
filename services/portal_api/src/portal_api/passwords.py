"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's second choice)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()

# Verified when no account matches, so a wrong address takes as long as a wrong password
# and the timing does not tell whether an address has an account.
_DUMMY_HASH = _hasher.hash("portal-dummy-password")


def hash_password(password: str) -> str:
    """Return the argon2id hash of `password` with a fresh salt."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Return whether `password` matches; a missing hash still costs one verification."""
    if password_hash is None:
        _verify_quietly(_DUMMY_HASH, password)
        return False
    return _verify_quietly(password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Return whether the hash was made with weaker parameters than today's defaults."""
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, min_length: int) -> str | None:
    """Return why `password` cannot be used, or None when it can."""
    if len(password) < min_length:
        return f"Use at least {min_length} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if not password.strip():
        return "The password cannot be only spaces."
    return None


def _verify_quietly(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
