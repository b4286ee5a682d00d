"""Log output of a server process: structlog's key=value lines, or one JSON object a line.

Either way every line carries the log context, so lines written while a request is served
carry its ``request_id`` (bound by the request-id middleware in :mod:`api.app`).
"""

from __future__ import annotations

import structlog

from api.settings import LogFormat


def configure_logging(log_format: LogFormat) -> None:
    """Set up structlog for the process (called by ``scoreledger serve``, never at import)."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if log_format is LogFormat.JSON
        else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ]
    )
