"""A fixed "now" for the rules that depend on it (notice, advance, cancellation notice)."""

from __future__ import annotations

from datetime import datetime

import pytest

from calbridge import clock


def freeze(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    """Every ``clock.now()`` of the app answers ``when`` until the test ends."""
    assert when.tzinfo is not None
    monkeypatch.setattr(clock, "now", lambda: when)
