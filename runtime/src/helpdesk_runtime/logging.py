"""structlog configuration: JSON lines with the correlation id and the ids in context.

Entry points bind ids with `bind_context` (structlog contextvars), so every log line of a
request or message carries the correlation id, message id, subject and ticket id.
"""

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog


def configure_logging(service: str, level: str = "info", json: bool = True) -> None:
    """Route structlog and standard-library logging to stderr in one format."""
    numeric_level = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_service(service),
    ]

    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )

    # Libraries (uvicorn, faststream, alembic) log through the standard library.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    handler.addFilter(_drop_idle_fetch_timeouts)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(max(numeric_level, logging.INFO))

    # FastStream's task supervisor logs "callback for Task-N is being executed" at INFO
    # each time a subscriber task ends; only its warnings and errors are news.
    logging.getLogger("faststream").setLevel(max(numeric_level, logging.WARNING))


def filter_faststream_handlers() -> None:
    """Add the idle-fetch filter to the handlers FastStream attached to its own loggers.

    FastStream's broker loggers do not propagate to the root logger and carry their own
    handler, so the root handler's filter never receives their records. Call this after
    the broker exists.
    """
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if not name.startswith("faststream") or not isinstance(logger, logging.Logger):
            continue
        for handler in logger.handlers:
            if _drop_idle_fetch_timeouts not in handler.filters:
                handler.addFilter(_drop_idle_fetch_timeouts)


def _drop_idle_fetch_timeouts(record: logging.LogRecord) -> bool:
    """Return False for FastStream's report of an idle pull consumer's fetch timing out.

    nats-py raises the built-in TimeoutError when a batch fetch finds no message in time,
    and FastStream 0.7 catches only nats-py's own TimeoutError there. Its supervisor then
    logs the traceback as an error and restarts the fetch loop, which is exactly what an
    idle consumer should do, so the line reports nothing wrong.
    """
    if not record.name.startswith("faststream") or record.exc_info is None:
        return True
    error = record.exc_info[1]
    return not (type(error) is TimeoutError and "raised an exception" in record.getMessage())


def _add_service(service: str) -> structlog.types.Processor:
    def add(_: Any, __: str, event: structlog.types.EventDict) -> structlog.types.EventDict:
        event.setdefault("service", service)
        return event

    return add


@contextmanager
def bound_context(**ids: object) -> Iterator[None]:
    """Bind ids to every log line written inside the block, and unbind them after."""
    values = {key: str(value) for key, value in ids.items() if value is not None}
    with structlog.contextvars.bound_contextvars(**values):
        yield


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """Return a structlog logger named for a module."""
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
