"""Structured logging: every line, ours and third-party stdlib ones, carries the request id."""

from __future__ import annotations

import logging
import sys
import uuid

import structlog

REQUEST_ID_KEY = "request_id"


def configure_logging(level: str) -> None:
    """Route structlog and stdlib logging through one renderer with context variables."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.KeyValueRenderer(
                    key_order=["timestamp", "level", REQUEST_ID_KEY, "event"], drop_missing=True
                ),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def bind_request_id() -> str:
    """Start a request's log context with a fresh id, returned for the response header."""
    request_id = uuid.uuid4().hex
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**{REQUEST_ID_KEY: request_id})
    return request_id


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structured logger named ``name``."""
    return structlog.get_logger(name)  # type: ignore[no-any-return]
