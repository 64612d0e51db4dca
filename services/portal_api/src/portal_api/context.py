"""The parts every portal entry point shares: settings, database, NATS requests, blobs, live hub."""

from dataclasses import dataclass, field

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_runtime.blob_settings import open_blob_store
from helpdesk_runtime.blobs import BlobStorage
from helpdesk_runtime.service import ServiceRuntime
from portal_api.live import LiveHub
from portal_api.service_requests import ServiceRequests
from portal_api.settings import PortalSettings


@dataclass
class Portal:
    """The running portal's shared parts, handed to handlers as the `portal` dependency."""

    settings: PortalSettings
    runtime: ServiceRuntime
    hub: LiveHub
    secret_key: str
    blobs: BlobStorage = field(init=False)

    def __post_init__(self) -> None:
        # Built once, so the S3 store keeps its HTTP connections between requests.
        self.blobs = open_blob_store(self.settings)

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.runtime.sessions

    @property
    def requests(self) -> ServiceRequests:
        """Requests over the runtime's NATS connection; usable once the service started."""
        return ServiceRequests(self.runtime.nats, self.settings.request_timeout_seconds)


PortalDependency = NamedDependency[Portal]
"""The running portal as a Litestar handler dependency named `portal`."""
