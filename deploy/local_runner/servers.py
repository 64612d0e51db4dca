"""A server the services use, and whether the runner started it (and so must stop it)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from deploy.local_runner.children import ChildProcess


class StartupError(Exception):
    """Raised when the stack cannot start. The message names what failed and what to do next."""


@dataclass
class ProvidedServer:
    """A reachable NATS or PostgreSQL server for the services."""

    url: str
    description: str
    # Set only for a server the runner started itself; None for one it found running.
    stop: Callable[[], Awaitable[None]] | None = None
    # The child process to watch, when the server runs as one of the runner's children.
    process: ChildProcess | None = None

    @property
    def started_here(self) -> bool:
        return self.stop is not None
