"""The Google adapter's outbox jobs, for ``calbridge.jobs`` to compose: ``google.watch`` /
``google.unwatch`` (push channels, ``channels``). Sync and the mirror's jobs are
``google_sync.tasks``'."""

from __future__ import annotations

from calbridge.google import channels
from calbridge.google.job_requests import GOOGLE_WATCH
from calbridge.google.mirror import GOOGLE_UNWATCH
from calbridge.outbox.registry import JobRegistry


def jobs() -> JobRegistry:
    registry = JobRegistry()
    registry.add(GOOGLE_WATCH, channels.watch_calendar)
    registry.add(GOOGLE_UNWATCH, channels.unwatch)
    return registry
