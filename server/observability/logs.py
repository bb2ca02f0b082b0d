"""JSON lines on standard output: one per request (server/observability/middleware.py) and
one per message of uvicorn, Strawberry or ours, for a log shipper to parse without rules."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

REQUEST_LOGGER = "quartier.request"
# The fields of a request line, set with `extra={FIELDS: {...}}`.
FIELDS = "quartier_fields"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, FIELDS, None)
        if fields is not None:
            line.update(fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=str)


def handler() -> logging.Handler:
    stream = logging.StreamHandler(sys.stdout)
    stream.setFormatter(JsonFormatter())
    return stream


def configure(level: int = logging.INFO) -> None:
    """Every logger of the process writes JSON lines to stdout (idempotent: an app factory
    may run more than once in a process)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    root.addHandler(handler())
    root.setLevel(level)
    # uvicorn's own handlers would print its lines a second time, as text.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # The request lines replace the access log, which prints query strings (GET queries
    # carry the query and its variables there).
    logging.getLogger("uvicorn.access").disabled = True


# For uvicorn.run(log_config=...): the same lines from the supervisor of several workers.
UVICORN_LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JsonFormatter}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": "INFO"},
    "loggers": {
        "uvicorn": {"handlers": [], "propagate": True},
        "uvicorn.error": {"handlers": [], "propagate": True},
        "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
    },
}
