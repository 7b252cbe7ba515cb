"""Google sync's outbox jobs, for ``calbridge.jobs`` to compose: ``google.sync`` (push an event
to its linked calendar, ``sync_tasks``), ``google.pull`` (the mirror, ``mirror_tasks``), and the
periodic fallback poll and channel renewal."""

from __future__ import annotations

from calbridge.google.job_requests import GOOGLE_PULL
from calbridge.google_sync import mirror_tasks, sync_tasks
from calbridge.outbox.registry import JobRegistry


def jobs() -> JobRegistry:
    registry = JobRegistry()
    registry.add(sync_tasks.GOOGLE_SYNC, sync_tasks.sync_event, on_failure=sync_tasks.sync_failed)
    registry.add(GOOGLE_PULL, mirror_tasks.pull_calendar)
    registry.periodic(mirror_tasks.schedule)
    return registry
