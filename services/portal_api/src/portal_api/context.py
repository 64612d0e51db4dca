"""The parts every portal entry point shares: settings, database, NATS requests, blobs, live hub."""

from dataclasses import dataclass
from pathlib import Path

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_runtime.blobs import BlobStore
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

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.runtime.sessions

    @property
    def requests(self) -> ServiceRequests:
        """Requests over the runtime's NATS connection; usable once the service started."""
        return ServiceRequests(self.runtime.nats, self.settings.request_timeout_seconds)

    @property
    def blobs(self) -> BlobStore:
        return BlobStore(Path(self.settings.blob_dir))


PortalDependency = NamedDependency[Portal]
"""The running portal as a Litestar handler dependency named `portal`."""
