"""Log lines: one per event, with a UTC timestamp, level, logger, request id and message, as
text or (``CALBRIDGE_LOG_FORMAT=json``) one JSON object per line.

Secrets are kept out at the source (nothing logs a token, code, state, password or webhook
secret); the one line calbridge does not write itself, uvicorn's access log, is filtered here:
the OAuth callbacks' query strings (``code``, ``state``) are dropped, and any other query value
whose name says it is secret is replaced.
"""

from __future__ import annotations

import logging
import logging.config
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from asgi_correlation_id.context import correlation_id
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from calbridge.settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
NO_REQUEST = "-"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

# Query parameters whose values never reach a log line.
SECRET_PARAMETERS = frozenset(
    {"code", "state", "token", "access_token", "refresh_token", "id_token", "password", "secret"}
    | {"client_secret", "key"}
)
REDACTED = "[redacted]"
# Libraries whose INFO and DEBUG lines carry SQL parameters, full URLs or request internals:
# they log warnings and errors only, whatever the level.
QUIET_LOGGERS = (
    *("sqlalchemy", "aiosqlite", "asyncpg", "httpx", "httpcore", "multipart"),
    "alembic.runtime.migration",  # two lines on every /readyz
)


def valid_request_id(value: str) -> bool:
    """The caller's ``X-Request-ID`` is kept when it is 1 to 128 of ``[A-Za-z0-9._-]``."""
    return _REQUEST_ID.fullmatch(value) is not None


def current_request_id() -> str | None:
    """The id of the request (or of the request whose job the worker runs) being handled."""
    return correlation_id.get()


def redact_target(target: str) -> str:
    """A request target safe to log: no query for OAuth callbacks, no secret query values."""
    path, mark, query = target.partition("?")
    if not mark:
        return target
    if path.rstrip("/").endswith("/callback"):
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    return f"{path}?" + urlencode(
        [(name, REDACTED if name.lower() in SECRET_PARAMETERS else value) for name, value in pairs]
    )


class RequestContext(logging.Filter):
    """Gives every record its ``request_id``, and takes secrets out of uvicorn's access line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = correlation_id.get() or NO_REQUEST
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            args = list(record.args)
            if len(args) >= 3 and isinstance(args[2], str):
                args[2] = redact_target(args[2])
                record.args = tuple(args)
        return True


class UTCFormatter(logging.Formatter):
    """``2026-12-04T21:07:12.123Z INFO calbridge.outbox.worker [abc-123] message``."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def make_formatter(log_format: str = "text") -> logging.Formatter:
    """``text``: the line above. ``json``: ``{"timestamp", "level", "logger", "message",
    "request_id", …}`` with the record's extra fields (a job's id, kind, outcome, …)."""
    if log_format == "json":
        return JsonFormatter(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],  # uvicorn's copy with ANSI colours
        )
    return UTCFormatter(TEXT_FORMAT)


def logging_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the process (``serve`` passes it to uvicorn too)."""
    level = settings.log_level.upper()
    formatter = {"()": make_formatter, "log_format": settings.log_format}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestContext}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["request"],
            }
        },
        "root": {"level": level, "handlers": ["default"]},
        "loggers": {
            # uvicorn's own config would add handlers of its own; ours are the root's.
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": level, "handlers": [], "propagate": True},
            **{name: {"level": "WARNING"} for name in QUIET_LOGGERS},
        },
    }


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings))
