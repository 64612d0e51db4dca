"""Spam protection of the anonymous web form: a honeypot field and a signed start time.

The form carries the time it was shown, signed with the portal's secret, so a bot cannot
claim an older time. A submission faster than the minimum fill time, or with the hidden
honeypot field filled in, is treated as automated.
"""

import hashlib
import hmac
import time

HONEYPOT_FIELD = "website"
STARTED_FIELD = "form_started"
# A form left open longer than a day is shown again rather than accepted.
MAX_FORM_AGE_SECONDS = 24 * 3600


def sign_start(secret_key: str, now: float | None = None) -> str:
    """Return the value of the signed start-time field for a form shown now."""
    started = str(int(now if now is not None else time.time()))
    return f"{started}.{_signature(secret_key, started)}"


def fill_time_problem(secret_key: str, value: str, min_seconds: float) -> str | None:
    """Return why the signed start time is not acceptable, or None when it is."""
    started, _, signature = value.partition(".")
    if not started.isdigit() or not hmac.compare_digest(signature, _signature(secret_key, started)):
        return "The form could not be checked. Please fill it in again."

    elapsed = time.time() - int(started)
    if elapsed < min_seconds:
        return "The form was sent too quickly. Please check it and send it again."
    if elapsed > MAX_FORM_AGE_SECONDS:
        return "The form was open too long. Please send it again."
    return None


def honeypot_filled(value: str) -> bool:
    """Return whether the field hidden from people was filled in, as form-filling bots do."""
    return bool(value.strip())


def _signature(secret_key: str, started: str) -> str:
    message = f"web-form-start:{started}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()
