"""DKIM signatures (RFC 6376) on outbound mail, made with dkimpy.

The signature covers the final bytes handed to the relay, so nothing may change the
message after `DkimSigner.sign`. Header fields are canonicalized "relaxed" and the body
"simple" (dkimpy's default), which survives relays that refold header lines but not
ones that rewrite the body. The signed fields are dkimpy's default (1.1): those of its
list of recommended fields that the message has, with From signed twice so that a
second From cannot be added.
"""

from pathlib import Path

import dkim  # type: ignore[import-untyped]

from email_gateway.settings import GatewaySettings
from helpdesk_runtime.logging import get_logger

log = get_logger(__name__)


class DkimConfigurationError(Exception):
    """Raised at start when the DKIM settings are incomplete or invalid, or the key cannot sign."""


class DkimSigner:
    """Signs outbound messages for one domain with one selector and private key."""

    def __init__(self, selector: str, domain: str, private_key: bytes) -> None:
        self.selector = selector
        self.domain = domain
        self._private_key = private_key

    def sign(self, message: bytes) -> bytes:
        """Return `message` with a DKIM-Signature field in front."""
        signature: bytes = dkim.sign(
            message,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self._private_key,
        )
        return signature + message


def signer_from_settings(settings: GatewaySettings) -> DkimSigner | None:
    """Return the signer the settings configure, or None when DKIM signing is off."""
    values = {
        "dkim_selector": settings.dkim_selector,
        "dkim_domain": settings.dkim_domain,
        "dkim_private_key_file": settings.dkim_private_key_file,
    }
    if not any(values.values()):
        return None

    missing = [name for name, value in values.items() if not value]
    if missing:
        raise DkimConfigurationError(
            "DKIM signing needs dkim_selector, dkim_domain and dkim_private_key_file; "
            f"set the empty ones: {', '.join(missing)}"
        )

    key_path = Path(settings.dkim_private_key_file)
    try:
        private_key = key_path.read_bytes()
    except OSError as exc:
        raise DkimConfigurationError(
            f"cannot read the DKIM private key file {key_path}: {exc.strerror}"
        ) from exc

    signer = DkimSigner(settings.dkim_selector, settings.dkim_domain, private_key)
    _check_signer(signer, key_path)
    log.info("dkim signing enabled", selector=signer.selector, domain=signer.domain)
    return signer


def _check_signer(signer: DkimSigner, key_path: Path) -> None:
    # A broken key or a non-ASCII selector would otherwise surface only when the first
    # reply is sent, as a failed delivery instead of a failed start.
    probe = b"From: probe@example.invalid\r\nSubject: probe\r\n\r\nprobe\r\n"
    try:
        signer.sign(probe)
    except UnicodeEncodeError as exc:
        raise DkimConfigurationError(
            f"the DKIM selector {signer.selector!r} and domain {signer.domain!r} must be ASCII"
        ) from exc
    except dkim.DKIMException as exc:
        raise DkimConfigurationError(
            f"the DKIM private key in {key_path} cannot sign: {exc}"
        ) from exc
