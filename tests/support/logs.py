"""Capturing log lines as calbridge writes them (with the request id filter), and checking that
none of them carries a secret (CONTRACT §6)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from calbridge.ops.logs import QUIET_LOGGERS, RequestContext, make_formatter

# Secrets a test met that no fixture holds (e.g. an OAuth state a helper received).
_issued: list[str] = []

# Shapes that are a secret whatever its value: a bearer credential, a webhook secret, or a secret
# query parameter that was not redacted.
SECRET_SHAPES = re.compile(
    r"Bearer\s+[A-Za-z0-9]|whsec_|"
    r"[?&](?:code|state|token|access_token|refresh_token|password|client_secret|secret)="
    r"(?!\[redacted\]|%5Bredacted%5D)[^&\s\"']"
)


class CapturedLogs(logging.Handler):
    """Every record, formatted as the text log line calbridge would write."""

    def __init__(self, log_format: str = "text") -> None:
        super().__init__(logging.NOTSET)
        self.lines: list[str] = []
        self.addFilter(RequestContext())
        self.setFormatter(make_formatter(log_format))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def matching(self, text: str) -> list[str]:
        return [line for line in self.lines if text in line]


# uvicorn's loggers as calbridge's logging config leaves them: no handlers of their own, the
# root's level, propagating. Any uvicorn started in the test process (``log_level="critical"``,
# ``access_log=False``, its default dictConfig) changes them for the rest of the process.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


@contextmanager
def capture_logs(level: int = logging.DEBUG, log_format: str = "text") -> Iterator[CapturedLogs]:
    """Root at ``level``; the libraries production keeps quiet stay at WARNING here too, and
    uvicorn's loggers are set as production sets them, whatever an earlier test left."""
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in QUIET_LOGGERS)]
    levels = [logger.level for logger in loggers]
    uvicorn = [logging.getLogger(name) for name in UVICORN_LOGGERS]
    states = [(u.level, u.handlers[:], u.propagate, u.disabled) for u in uvicorn]
    handler = CapturedLogs(log_format)
    loggers[0].setLevel(level)
    for logger in loggers[1:]:
        logger.setLevel(logging.WARNING)
    for logger in uvicorn:
        logger.setLevel(logging.NOTSET)
        logger.handlers[:] = []
        logger.propagate, logger.disabled = True, False
    loggers[0].addHandler(handler)
    try:
        yield handler
    finally:
        loggers[0].removeHandler(handler)
        for logger, old in zip(loggers, levels, strict=True):
            logger.setLevel(old)
        for logger, (old_level, handlers, propagate, disabled) in zip(uvicorn, states, strict=True):
            logger.setLevel(old_level)
            logger.handlers[:] = handlers
            logger.propagate, logger.disabled = propagate, disabled


def remember_secret(*values: str) -> None:
    _issued.extend(values)


def leaks(lines: Iterable[str], secrets: Iterable[str]) -> list[str]:
    """The lines that carry one of ``secrets`` or have the shape of one."""
    values = {value for value in secrets if len(value) >= 6}
    return [
        line
        for line in lines
        if SECRET_SHAPES.search(line) or any(value in line for value in values)
    ]


def secrets_of(fixtures: dict[str, Any]) -> set[str]:
    """The secrets held by a test's fixtures: API tokens, settings' secrets, and everything the
    Google emulator issued (codes, access and refresh tokens)."""
    from calbridge.settings import Settings
    from calbridge_google_emulator import GoogleEmulator
    from tests.support.api import WorkspaceFixture

    found = set(_issued)
    for value in fixtures.values():
        if isinstance(value, WorkspaceFixture):
            found.update(value.tokens.values())
        elif isinstance(value, Settings):
            found.update(
                secret
                for secret in (
                    value.google_client_secret,
                    value.secret_key,
                    value.smtp_password,
                    *(value.encryption_keys or "").split(","),
                )
                if secret
            )
        elif isinstance(value, GoogleEmulator):
            state = value.state
            found.update(state.access_tokens)
            found.update(state.auth_codes)
            found.update(g.refresh_token for g in state.grants.values() if g.refresh_token)
    return found


@contextmanager
def no_secret_logged(fixtures: dict[str, Any]) -> Iterator[CapturedLogs]:
    """Captures the logs of a test; at its end, fails if a line carries a secret."""
    _issued.clear()
    with capture_logs() as logs:
        yield logs
    leaked = leaks(logs.lines, secrets_of(fixtures))
    _issued.clear()
    assert not leaked, "secrets in the logs:\n" + "\n".join(leaked[:5])
