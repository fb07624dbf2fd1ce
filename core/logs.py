"""Log records, one line each: as plain text in development, as JSON in production.

`LOGGING` in the settings picks the formatter (`DJANGO_LOG_FORMAT`); `JsonFormatter` writes one
JSON object per record with `time` (ISO 8601, UTC), `level`, `logger`, `message`, the
`request_id` of the web request being served (core.probes sets it; the same value goes back in
the `X-Request-ID` header) and any `extra` fields; an exception comes as `exc_info`, on the same
line. Imported while logging is configured: nothing here may import models.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

request_id: ContextVar[str] = ContextVar("request_id", default="")


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to every record logged while serving it."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id.get()
        if current and not hasattr(record, "request_id"):
            record.request_id = current
        return True


class JsonFormatter(_JsonFormatter):
    def __init__(self, **kwargs):
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("{levelname}{name}{message}", style="{", **kwargs)
