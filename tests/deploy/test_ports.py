"""Port checks: free, taken, and the fallback for servers the runner starts."""

import socket
from collections.abc import Iterator

import pytest

from deploy.local_runner.ports import (
    busy_ports,
    ensure_ports_free,
    port_is_free,
    preferred_or_free,
)
from deploy.local_runner.servers import StartupError
from helpdesk_runtime.local_servers import free_port


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_listening_port_is_not_free(taken_port: int) -> None:
    assert port_is_free(taken_port) is False


def test_unused_port_is_free() -> None:
    assert port_is_free(free_port()) is True


def test_preferred_port_kept_when_free() -> None:
    port = free_port()

    assert preferred_or_free(port) == port


def test_taken_preferred_port_replaced(taken_port: int) -> None:
    chosen = preferred_or_free(taken_port)

    assert chosen != taken_port
    assert port_is_free(chosen)


def test_busy_ports_lists_only_taken(taken_port: int) -> None:
    wanted = {"HELPDESK_A_PORT": taken_port, "HELPDESK_B_PORT": free_port()}

    assert busy_ports(wanted) == {"HELPDESK_A_PORT": taken_port}


def test_taken_port_error_names_variable(taken_port: int) -> None:
    with pytest.raises(StartupError) as raised:
        ensure_ports_free({"HELPDESK_TICKET_SERVICE_PORT": taken_port})

    assert f"{taken_port} (HELPDESK_TICKET_SERVICE_PORT)" in str(raised.value)


def test_free_ports_pass() -> None:
    ensure_ports_free({"HELPDESK_TICKET_SERVICE_PORT": free_port()})
