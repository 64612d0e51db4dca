"""Assembly of email_gateway: runtime, SMTP listener, republisher, outbound consumer, HTTP API."""

from pathlib import Path

from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from email_gateway.api import (
    AttachmentController,
    QuarantineController,
    RawMessageController,
    api_dependencies,
)
from email_gateway.blobs import BlobStore
from email_gateway.inbound import InboundPipeline
from email_gateway.models import SCHEMA, outbox
from email_gateway.outbound import OutboundDeliverer, register_outbound_consumer
from email_gateway.relay import RelayClient
from email_gateway.republisher import Republisher
from email_gateway.settings import GatewaySettings
from email_gateway.smtp_listener import SmtpListener
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
        self.blobs = BlobStore(Path(settings.blob_dir))
        self.pipeline = InboundPipeline(self.runtime, self.blobs)
        self.smtp = SmtpListener(settings, self.pipeline)
        self.republisher = Republisher(self.runtime, self.pipeline, settings)
        self.deliverer = OutboundDeliverer(
            self.runtime, RelayClient(settings), settings.outbound_max_attempts
        )


def build_gateway(settings: GatewaySettings) -> Gateway:
    """Create the runtime and register the outbound consumer and the republisher."""
    gateway = Gateway(settings)
    register_outbound_consumer(gateway.runtime, gateway.deliverer)
    gateway.runtime.add_background_job("republisher", gateway.republisher.run)
    return gateway


def create_app(settings: GatewaySettings) -> Litestar:
    """Build the Litestar application of email_gateway.

    The SMTP listener starts after the runtime (database, NATS, consumers) and stops
    before it, so every accepted message can be stored and published.
    """
    gateway = build_gateway(settings)
    return Litestar(
        route_handlers=[
            health_router(SERVICE_NAME, gateway.runtime),
            QuarantineController,
            RawMessageController,
            AttachmentController,
        ],
        dependencies=api_dependencies(gateway.runtime.sessions, gateway.blobs),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[gateway.runtime.lifespan, gateway.smtp.lifespan],
        openapi_config=OpenAPIConfig(title="Helpdesk email_gateway", version="0.1.0"),
    )
