"""Outbox jobs of the event domain.

``event.changed`` is written in the transaction of every booking change. Its handler fans out to
the job kinds that subscribed to it (Google sync, event rules), one job each, in its own
transaction: a subscriber's job exists exactly when the change committed, and each subscriber
retries on its own. Each fan-out job is ordered per event and per subscriber
(``"{kind}:event:{id}"``), so one subscriber's backlog never holds up another's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.event.service import EVENT_CHANGED
from calbridge.outbox.service import enqueue, handler, payload_for, subscribers


@handler(EVENT_CHANGED)
async def fan_out_event_changed(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Enqueue one job per subscriber of ``event.changed``, carrying the payload (or the part of
    it the subscriber asked for)."""
    for kind in subscribers(EVENT_CHANGED):
        await enqueue(
            session,
            kind,
            ordering_key=f"{kind}:event:{payload['event_id']}",
            **payload_for(EVENT_CHANGED, kind, payload),
        )


# The Google sync subscribes to event.changed; importing it here registers it wherever the event
# domain's jobs are registered (the worker imports this module).
# So do the Google mirror's jobs (pull, watch, unwatch) and its fallback poll.
import calbridge.google.channels  # noqa: E402
import calbridge.google.mirror_tasks  # noqa: E402
import calbridge.google.sync_tasks  # noqa: E402, F401
