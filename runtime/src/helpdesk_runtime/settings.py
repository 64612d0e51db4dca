"""Typed settings read once from environment variables.

A settings class is a msgspec Struct whose fields each have a default (or none, which
makes the variable required) and a `help` text in `field_help`. `load_settings` reads
`<PREFIX><FIELD_NAME>` for every field, converts the text to the field type and fails at
start-up with one message naming every missing or invalid variable.
"""

import os
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

import msgspec

SettingsT = TypeVar("SettingsT", bound="BaseSettings")


class InvalidSettingsError(Exception):
    """Raised when environment variables are missing or cannot be converted."""


class BaseSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Settings every service has: where NATS and PostgreSQL are, and how to log."""

    env_prefix: ClassVar[str] = "HELPDESK_"
    field_help: ClassVar[dict[str, str]] = {
        "nats_url": "NATS server URL, e.g. nats://127.0.0.1:4222.",
        "database_url": "PostgreSQL URL; postgresql:// and postgresql+asyncpg:// both work.",
        "http_host": "Address the service's HTTP server binds to.",
        "http_port": "TCP port of the service's HTTP server (health, readiness, API).",
        "log_level": "Minimum log level: debug, info, warning or error.",
        "log_json": "Write JSON log lines (true) or human-readable ones (false).",
        "run_migrations": "Apply the service's Alembic migrations at start-up.",
    }

    nats_url: str = "nats://127.0.0.1:4222"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/helpdesk"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "info"
    log_json: bool = True
    run_migrations: bool = True


def _read_raw_values(
    settings_type: type[BaseSettings], environ: Mapping[str, str]
) -> dict[str, str]:
    raw: dict[str, str] = {}
    for field_name in settings_type.__struct_fields__:
        variable = settings_type.env_prefix + field_name.upper()
        if variable in environ:
            raw[field_name] = environ[variable]

    # DATABASE_URL is the conventional name; the prefixed variable wins when both are set.
    wants_database = "database_url" in settings_type.__struct_fields__
    if wants_database and "database_url" not in raw and "DATABASE_URL" in environ:
        raw["database_url"] = environ["DATABASE_URL"]
    return raw


def load_settings(
    settings_type: type[SettingsT],
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> SettingsT:
    """Build `settings_type` from the environment, raising one error listing every bad variable."""
    source = os.environ if environ is None else environ
    raw: dict[str, Any] = dict(_read_raw_values(settings_type, source))
    raw.update(overrides)

    try:
        return msgspec.convert(raw, settings_type, strict=False)
    except msgspec.ValidationError as exc:
        names = ", ".join(
            settings_type.env_prefix + name.upper()
            for name in settings_type.__struct_fields__
            if f"`$.{name}`" in str(exc)
        )
        where = f" (check {names})" if names else ""
        raise InvalidSettingsError(f"Invalid settings{where}: {exc}") from exc


def describe_settings(settings_type: type[BaseSettings]) -> list[tuple[str, str, str]]:
    """Return (variable, default, help) for every field, for docs and `--help` output."""
    rows = []
    defaults = settings_type.__struct_defaults__
    fields = settings_type.__struct_fields__
    first_default = len(fields) - len(defaults)
    for index, field_name in enumerate(fields):
        default = "(required)"
        if index >= first_default:
            value = defaults[index - first_default]
            default = "(computed)" if isinstance(value, msgspec._core.Factory) else repr(value)
        variable = settings_type.env_prefix + field_name.upper()
        rows.append((variable, default, settings_type.field_help.get(field_name, "")))
    return rows
