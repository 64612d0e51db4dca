"""Assembly of email_gateway: runtime, SMTP listener, republisher, outbound consumers, HTTP API."""

from datetime import timedelta

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.types import ControllerRouterHandler

from email_gateway.account_mail import (
    AccountMailDeliverer,
    AccountMailSender,
    register_account_mail_consumer,
)
from email_gateway.api import (
    AttachmentController,
    QuarantineController,
    RawMessageController,
    api_dependencies,
)
from email_gateway.attachment_limits import AttachmentLimits
from email_gateway.dkim_signing import signer_from_settings
from email_gateway.imap_poller import ImapAccount, ImapPoller
from email_gateway.inbound import InboundPipeline, SenderRateLimit
from email_gateway.models import SCHEMA, outbox
from email_gateway.outbound import OutboundDeliverer, register_outbound_consumer
from email_gateway.relay import RelayClient
from email_gateway.republisher import Republisher
from email_gateway.settings import GatewaySettings
from email_gateway.smtp_listener import SmtpListener
from email_gateway.submission import MailSubmitter
from email_gateway.webhook import inbound_webhook
from helpdesk_contracts.messages import EmailAddress
from helpdesk_runtime.blob_settings import open_blob_store
from helpdesk_runtime.health import health_router
from helpdesk_runtime.problems import EXCEPTION_HANDLERS
from helpdesk_runtime.service import ServiceRuntime

SERVICE_NAME = "email_gateway"


class Gateway:
    """The parts of a running gateway, wired to one runtime."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.runtime = ServiceRuntime(
            SERVICE_NAME, settings, package="email_gateway", schema=SCHEMA, outbox=outbox
        )
        self.blobs = open_blob_store(settings)
        rate_limit = SenderRateLimit(
            max_messages=settings.rate_limit_messages,
            window=timedelta(seconds=settings.rate_limit_window_seconds),
        )
        attachment_limits = AttachmentLimits(
            max_count=settings.max_attachments, max_bytes=settings.max_attachment_bytes
        )
        self.pipeline = InboundPipeline(self.runtime, self.blobs, rate_limit, attachment_limits)
        self.smtp = SmtpListener(settings, self.pipeline)
        self.republisher = Republisher(self.runtime, self.pipeline, settings)
        submitter = MailSubmitter(RelayClient(settings), signer_from_settings(settings))
        self.deliverer = OutboundDeliverer(self.runtime, submitter, settings.outbound_max_attempts)
        account_sender = AccountMailSender(
            EmailAddress(address=settings.support_address, name=settings.support_name)
        )
        self.account_mail = AccountMailDeliverer(
            submitter, account_sender, settings.outbound_max_attempts
        )


def build_gateway(settings: GatewaySettings) -> Gateway:
    """Create the runtime and register the outbound consumers and the republisher."""
    gateway = Gateway(settings)
    register_outbound_consumer(gateway.runtime, gateway.deliverer)
    register_account_mail_consumer(gateway.runtime, gateway.account_mail)
    gateway.runtime.add_background_job("republisher", gateway.republisher.run)
    if settings.imap_host:
        poller = ImapPoller(imap_account(settings), gateway.pipeline)
        gateway.runtime.add_background_job("imap-poller", poller.run)
    return gateway


def imap_account(settings: GatewaySettings) -> ImapAccount:
    """Return the IMAP mailbox the settings name."""
    return ImapAccount(
        host=settings.imap_host,
        port=settings.imap_port,
        username=settings.imap_username,
        password=settings.imap_password,
        mailbox=settings.imap_mailbox,
        use_ssl=settings.imap_ssl,
        poll_seconds=settings.imap_poll_seconds,
        imported_keyword=settings.imap_imported_keyword,
        move_to=settings.imap_move_to,
    )


def create_app(settings: GatewaySettings) -> Litestar:
    """Build the Litestar application of email_gateway.

    The SMTP listener starts after the runtime (database, NATS, consumers) and stops
    before it, so every accepted message can be stored and published.
    """
    gateway = build_gateway(settings)
    route_handlers: list[ControllerRouterHandler] = [
        health_router(SERVICE_NAME, gateway.runtime),
        QuarantineController,
        RawMessageController,
        AttachmentController,
    ]
    # Without a secret the webhook would take mail from anyone, so it is left out (404).
    if settings.webhook_secret:
        route_handlers.append(
            inbound_webhook(gateway.pipeline, settings.webhook_secret, settings.max_message_bytes)
        )
    return Litestar(
        route_handlers=route_handlers,
        dependencies=api_dependencies(gateway.runtime.sessions, gateway.blobs),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[gateway.runtime.lifespan, gateway.smtp.lifespan],
        openapi_config=OpenAPIConfig(title="Helpdesk email_gateway", version="0.1.0"),
    )
