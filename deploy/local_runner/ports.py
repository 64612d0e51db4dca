"""TCP port checks on 127.0.0.1: which fixed ports are in use, and a fallback for servers."""

import socket
from collections.abc import Mapping

from deploy.local_runner.config import LOCALHOST
from deploy.local_runner.servers import StartupError
from helpdesk_runtime.local_servers import free_port


def port_is_free(port: int) -> bool:
    """Return whether a listener could bind 127.0.0.1:`port` right now."""
    with socket.socket() as probe:
        # SO_REUSEADDR matches what servers set, so a port in TIME_WAIT counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOCALHOST, port))
        except OSError:
            return False
        return True


def preferred_or_free(preferred: int) -> int:
    """Return `preferred` when it is free, else any free port."""
    if port_is_free(preferred):
        return preferred
    return free_port()


def busy_ports(ports: Mapping[str, int]) -> dict[str, int]:
    """Return the entries of `ports` (variable name to port) whose port is already in use."""
    return {variable: port for variable, port in ports.items() if not port_is_free(port)}


def ensure_ports_free(ports: Mapping[str, int]) -> None:
    """Raise StartupError naming every variable in `ports` whose port is already in use."""
    in_use = busy_ports(ports)
    if not in_use:
        return
    listing = ", ".join(f"{port} ({variable})" for variable, port in in_use.items())
    raise StartupError(
        f"ports already in use on {LOCALHOST}: {listing}. Another `make run` may still be "
        "running: stop it, or set the variables named to free ports"
    )
