"""The time "now" for rules that depend on it (booking notice, advance and change windows).

One function, looked up at call time (``clock.now()``), so a test can fix the clock for the
whole app with ``monkeypatch.setattr(clock, "now", ...)`` and get answers that do not move
between two requests. Everything else (created/updated stamps) uses ``db.utcnow``.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
