"""Delivering portal account mail: the durable consumer of `mail.outbound.account`.

portal_api publishes `AccountEmailRequested` for sign-in links and password resets.
Each request is sent from the default support address through the same relay and
DKIM signer as agent replies. A transient failure raises, so the consumer redelivers
the request with a growing delay. The delivery that reaches `outbound_max_attempts`,
or a permanent rejection, is logged as failed and acknowledged.

The body contains sign-in tokens, so it is never logged; the logs carry the request id,
the Message-ID and the purpose.

NOTE: no table records these deliveries, so delivery is at least once. A request
redelivered after the relay accepted it (the process died before the acknowledgement)
is sent again with the same Message-ID.
"""

from dataclasses import dataclass

from email_gateway.outbound_message import InvalidOutboundMessageError, compose_account_message
from email_gateway.relay import RelayError
from email_gateway.submission import MailSubmitter
from helpdesk_contracts import streams, subjects
from helpdesk_contracts.messages import AccountEmailRequested, EmailAddress
from helpdesk_runtime.consumers import Delivery, subscribe_durable
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.metrics import counter
from helpdesk_runtime.service import ServiceRuntime

log = get_logger(__name__)

ACCOUNT_MAIL_CONSUMER = "email_gateway-account-mail"

sent_total = counter("email_account_mail_sent_total", "Account messages accepted by the relay.")
failed_total = counter(
    "email_account_mail_failed_total", "Account messages given up on, by permanent or not."
)


class AccountMailRetryError(Exception):
    """Raised after a transient failure, so the consumer redelivers the request later."""


@dataclass(frozen=True)
class AccountMailSender:
    """The From mailbox of account mail and the domain of its Message-IDs."""

    mailbox: EmailAddress

    @property
    def domain(self) -> str:
        """The domain part of the From address."""
        return self.mailbox.address.rpartition("@")[2] or "localhost"


class AccountMailDeliverer:
    """Sends each account message and logs the outcome."""

    def __init__(
        self, submitter: MailSubmitter, sender: AccountMailSender, max_attempts: int
    ) -> None:
        self._submitter = submitter
        self._sender = sender
        self._max_attempts = max_attempts

    @property
    def max_attempts(self) -> int:
        """Attempts after which a transiently failing message is reported as failed."""
        return self._max_attempts

    def message_id(self, request: AccountEmailRequested) -> str:
        """Return the Message-ID of `request`, the same on every attempt."""
        return f"account.{request.id}@{self._sender.domain}"

    async def handle(self, request: AccountEmailRequested, delivery: Delivery) -> None:
        """Send one request; raise AccountMailRetryError when it must be tried again."""
        message_id = self.message_id(request)
        attempt = delivery.num_delivered
        with bound_context(request_id=request.id, message_id=message_id, purpose=request.purpose):
            try:
                message = compose_account_message(request, self._sender.mailbox, message_id)
                await self._submitter.submit(
                    message, self._sender.mailbox.address, [request.to.address]
                )
            except InvalidOutboundMessageError as exc:
                _log_failure(str(exc), attempt)
                return
            except RelayError as exc:
                if exc.permanent or attempt >= self._max_attempts:
                    _log_failure(str(exc), attempt)
                    return
                log.warning("account mail attempt failed", attempt=attempt, error=str(exc))
                raise AccountMailRetryError(
                    f"attempt {attempt} of {self._max_attempts} failed: {exc}"
                ) from exc

            sent_total.inc()
            log.info("account mail sent", attempts=attempt)


def _log_failure(error: str, attempt: int) -> None:
    failed_total.inc()
    log.error("account mail failed", attempts=attempt, error=error)


def register_account_mail_consumer(
    runtime: ServiceRuntime, deliverer: AccountMailDeliverer
) -> None:
    """Subscribe the deliverer to account mail requests with its own durable consumer."""
    subscribe_durable(
        runtime.broker,
        lambda: runtime.js,
        subject=subjects.MAIL_OUTBOUND_ACCOUNT,
        stream=streams.MAIL.name,
        durable=ACCOUNT_MAIL_CONSUMER,
        message_type=AccountEmailRequested,
        handler=deliverer.handle,
        # One more than the attempts, so the last attempt logs the failure and
        # acknowledges instead of the consumer dead-lettering the request.
        max_attempts=deliverer.max_attempts + 1,
    )
