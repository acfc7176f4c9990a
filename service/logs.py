"""The service's logging: a request id on every record, text or JSON lines.

:class:`~service.middleware.RequestIdMiddleware` puts each request's id in
:data:`request_id`; :class:`RequestIdFilter` copies it onto every log record emitted
while the request is handled (in the event loop and in the worker threads, which run in
a copy of the request's context), so a JSON log line can be traced to the
``X-Request-ID`` the client sent or received.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "JsonFormatter",
    "RequestIdFilter",
    "configure_logging",
    "request_id",
]

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request being handled (None outside a request)."""

TEXT_FORMAT = "%(levelname)s: %(message)s"

# Attributes every LogRecord has; anything else was passed in ``extra`` and is logged.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
    "color_message",  # uvicorn's copy of the message with terminal colours
}


class RequestIdFilter(logging.Filter):
    """Set ``record.request_id`` to the current request's id (None outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (UTC, ISO 8601), ``level``, ``logger``,
    ``message``, ``request_id`` where there is one, the fields given in ``extra``, and
    ``exception`` with the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            entry["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str = "info", fmt: str = "text") -> None:
    """Send every log record (the service's, uvicorn's, the library's) to stderr.

    Replaces the root logger's handlers. Uvicorn must then run with ``log_config=None``
    so that its loggers propagate here; its access log is turned off, as
    :class:`~service.middleware.RequestIdMiddleware` logs each request (``service.access``).

    Args:
        level: ``critical``, ``error``, ``warning``, ``info`` or ``debug``.
        fmt: ``text`` (``LEVEL: message``, the request id appended where there is one)
            or ``json`` (see :class:`JsonFormatter`).

    Raises:
        ValueError: for another format.
    """
    if fmt not in ("text", "json"):
        raise ValueError(f"unknown log format {fmt!r}: choose text or json")
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else _TextFormatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        # service.access writes one record per request, with its id, in place of uvicorn's.
        uvicorn_logger.propagate = name != "uvicorn.access"


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        rid = getattr(record, "request_id", None)
        return f"{text} [request {rid}]" if rid else text
