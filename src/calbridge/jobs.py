"""Every outbox job kind calbridge runs, composed in one place, and who follows whom.

Each domain lists its own kinds (``event.tasks``, ``google.tasks``, ``google_sync.tasks``,
``rules.tasks``); this module adds them up (a kind registered twice raises ``DuplicateJobKind``)
and says which kinds follow ``event.changed``, in this order:

    event.changed → google.sync   (ids and links only: the job reads the event as it is now)
                  → rules.run     (the whole change: the rules look at before and after)

Every process that runs jobs (``create_app``'s embedded worker, ``calbridge worker``, the
benchmarks) builds its registry here.
"""

from __future__ import annotations

from calbridge.event import tasks as event_tasks
from calbridge.event.service import EVENT_CHANGED
from calbridge.google import tasks as google_tasks
from calbridge.google_sync import sync_tasks
from calbridge.google_sync import tasks as google_sync_tasks
from calbridge.outbox.registry import JobRegistry
from calbridge.rules import tasks as rules_tasks


def registry() -> JobRegistry:
    jobs = JobRegistry()
    jobs.include(event_tasks.jobs())
    jobs.include(google_tasks.jobs())
    jobs.include(google_sync_tasks.jobs())
    jobs.include(rules_tasks.jobs())
    jobs.subscribe(EVENT_CHANGED, sync_tasks.GOOGLE_SYNC, omit=sync_tasks.OMITTED)
    jobs.subscribe(EVENT_CHANGED, rules_tasks.RUN_RULES)
    return jobs
