"""The environment the local runner gives portal_api."""

from pathlib import Path

from deploy.local_runner.config import read_config
from deploy.local_runner.environment import service_environment


def portal_environment(tmp_path: Path, **environ: str) -> dict[str, str]:
    config = read_config({"HELPDESK_PORTAL_API_PORT": "8404"}, repository_root=tmp_path)
    return service_environment(
        "portal_api",
        config,
        nats_url="nats://127.0.0.1:4999",
        database_url="postgresql://postgres@127.0.0.1:5999/helpdesk",
        environ=environ,
    )


def test_portal_shares_gateway_blob_dir(tmp_path: Path) -> None:
    config = read_config({}, repository_root=tmp_path)
    gateway = service_environment(
        "email_gateway", config, nats_url="nats://x", database_url="postgresql://x", environ={}
    )
    portal = service_environment(
        "portal_api", config, nats_url="nats://x", database_url="postgresql://x", environ={}
    )

    assert portal["HELPDESK_BLOB_DIR"] == gateway["HELPDESK_BLOB_DIR"]


def test_portal_gets_plain_http_defaults(tmp_path: Path) -> None:
    env = portal_environment(tmp_path)

    assert env["HELPDESK_COOKIE_SECURE"] == "false"
    assert env["HELPDESK_PUBLIC_URL"] == "http://127.0.0.1:8404"
    assert env["HELPDESK_HTTP_PORT"] == "8404"


def test_portal_keeps_configured_values(tmp_path: Path) -> None:
    env = portal_environment(
        tmp_path,
        HELPDESK_COOKIE_SECURE="true",
        HELPDESK_PUBLIC_URL="https://support.example.com",
    )

    assert env["HELPDESK_COOKIE_SECURE"] == "true"
    assert env["HELPDESK_PUBLIC_URL"] == "https://support.example.com"
