"""Whether a message is signed or encrypted with S/MIME (RFC 8551) or OpenPGP (RFC 3156).

The gateway does not verify signatures or decrypt, so both flags state only what the
message claims. A signature is never trusted for the sender's identity. The signed or
encrypted parts stay intact as attachments, and the raw message keeps every byte.
"""

from dataclasses import dataclass
from email.message import Message

_SIGNATURE_TYPES = frozenset(
    {"application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature"}
)
_ENCRYPTED_TYPES = frozenset({"multipart/encrypted", "application/pgp-encrypted"})
_SMIME_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})

# Inline OpenPGP, written into a text body instead of a MIME structure.
_INLINE_SIGNED = "-----BEGIN PGP SIGNED MESSAGE-----"
_INLINE_ENCRYPTED = "-----BEGIN PGP MESSAGE-----"


@dataclass(frozen=True)
class CryptoState:
    """The signature and encryption state a message claims, unverified."""

    signed: bool
    encrypted: bool


def crypto_state(message: Message, text_body: str) -> CryptoState:
    """Return the claimed signature and encryption state of `message` and its text body."""
    signed = _INLINE_SIGNED in text_body
    encrypted = _INLINE_ENCRYPTED in text_body

    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "multipart/signed" or content_type in _SIGNATURE_TYPES:
            signed = True
        elif content_type in _ENCRYPTED_TYPES:
            encrypted = True
        elif content_type in _SMIME_TYPES:
            # smime-type separates enveloped (encrypted) from signed-only data. Without
            # it the part is treated as encrypted, the more common case.
            smime_type = str(part.get_param("smime-type") or "enveloped-data").lower()
            if smime_type in {"signed-data", "certs-only"}:
                signed = True
            else:
                encrypted = True
    return CryptoState(signed=signed, encrypted=encrypted)
