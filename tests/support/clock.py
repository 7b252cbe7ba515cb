"""Clocks for tests: a fixed "now" for the booking rules, and clocks the test moves by hand.

A test builds one ``Services`` with its clock, and its app and workers share it: one clock, never
two kept in step.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from calbridge import clock
from calbridge.db import utcnow


def freeze(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    """Every ``clock.now()`` of the app answers ``when`` until the test ends."""
    assert when.tzinfo is not None
    monkeypatch.setattr(clock, "now", lambda: when)


class Clock:
    """Real time plus however far the test has moved it forward (to let waiting jobs come
    due without waiting for them)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


class StillClock:
    """Stands still until the test sets ``now``."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now
