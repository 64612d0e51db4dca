"""The last steps of every outbound message: its final bytes, the DKIM signature, the relay."""

from email.message import EmailMessage

from email_gateway.dkim_signing import DkimSigner
from email_gateway.relay import RelayClient, RelayResult


class MailSubmitter:
    """Hands composed messages to the relay, signed when DKIM signing is configured."""

    def __init__(self, relay: RelayClient, signer: DkimSigner | None = None) -> None:
        self._relay = relay
        self._signer = signer

    async def submit(
        self, message: EmailMessage, sender: str, recipients: list[str]
    ) -> RelayResult:
        """Send `message` to `recipients`; raise RelayError unless the relay accepted it."""
        # The message's own policy decides the bytes: CRLF line ends and lines of up
        # to 998 characters for the messages the gateway composes.
        raw = message.as_bytes()
        if self._signer is not None:
            raw = self._signer.sign(raw)
        return await self._relay.send(raw, sender, recipients)
