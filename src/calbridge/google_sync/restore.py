"""Push mode (CONTRACT §3.5): a change made in Google to a calbridge event's copy is undone
(in a ``two_way`` calendar, ``two_way.apply`` first tries to apply it to the booking).

The pull that lists a changed copy of one of this workspace's events compares it with the event
as calbridge has it; if they differ (title, description, location, start, end, or the copy
deleted or cancelled while the booking lives, or alive while it is cancelled or gone) it enqueues
a ``google.sync`` of the event, which puts the copy back to calbridge's state (``sync.upsert``
patches every field and the status, so a deleted copy comes back). Nothing is enqueued while
the event's own sync is still to run (``googleSyncStatus`` not ``synced``): that job pushes the
current state anyway, and the copy it writes then equals the event. A restore marks the event
``pending`` itself (without a new version), so a later pull that lists the copy before the
restore has run leaves it alone: one change, one restore, one refusal recorded.

**No echo:** calbridge's own writes come back as notifications too, but the copy they leave
equals the event, so they change nothing; a restore's own notification finds the copy equal, so
Google is written at most once per Google-side change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.calendar.models import Calendar
from calbridge.event import repository as event_repository
from calbridge.event.conflicts import BusyTimeSource
from calbridge.event.models import Event
from calbridge.google_sync import pull, two_way
from calbridge.google_sync.sync import ID_PREFIX, PRIVATE_EVENT_ID
from calbridge.google_sync.sync_tasks import GOOGLE_SYNC
from calbridge.outbox.service import enqueue
from calbridge.statuses import EventStatus, SyncStatus

TWO_WAY = "two_way"


def differs(item: dict[str, Any], event: Event | None) -> bool:
    """Whether Google's copy shows something other than the event (pure)."""
    alive = item.get("status") != EventStatus.CANCELLED
    if event is None or event.status == EventStatus.CANCELLED:
        return alive
    if not alive:
        return True
    start, end = _instant(item.get("start")), _instant(item.get("end"))
    return (
        (item.get("summary") or "") != event.title
        or (item.get("description") or None) != event.description
        or (item.get("location") or None) != event.location
        or start != event.start_at
        or end != event.end_at
    )


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, dict) or not value.get("dateTime"):
        return None
    return pull.parse_instant(value["dateTime"])


async def undo_google_changes(
    session: AsyncSession,
    workspace_id: int,
    link: dict[str, Any],
    copies: list[dict[str, Any]],
    busy_source: BusyTimeSource,
) -> int:
    """Enqueue a restoring ``google.sync`` for each copy that differs from its event; how many.
    ``link`` is where the copies are (``account_id``, ``calendar_id``)."""
    restored = 0
    for item in copies:
        private = (item.get("extendedProperties") or {}).get("private") or {}
        try:
            event_id = int(str(private.get(PRIVATE_EVENT_ID)))
        except (TypeError, ValueError):
            continue
        event = await event_repository.get_event(session, workspace_id, event_id)
        if event is not None and event.google_sync_status != SyncStatus.SYNCED:
            continue  # its own sync is still to run, and will push the current state
        if not differs(item, event):
            continue
        if event is not None and event.status != EventStatus.CANCELLED:
            calendar = await session.get(Calendar, event.calendar_id)
            if (
                calendar is not None
                and calendar.google_sync_mode == TWO_WAY
                and (calendar.google_account_id, calendar.google_calendar_id)
                == (link["account_id"], link["calendar_id"])
                and await two_way.apply(session, workspace_id, event, item, busy_source)
            ):
                continue
        google_id = str(item.get("id") or "")
        uid = event.uid if event is not None else _uid_of(google_id)
        await enqueue(
            session,
            GOOGLE_SYNC,
            ordering_key=f"{GOOGLE_SYNC}:event:{event_id}",
            event_id=event_id,
            event_uid=uid,
            workspace_id=workspace_id,
            change="google_restore",
            # A copy whose event is gone (or lives in another calendar now) is removed from here.
            before_google={**link, "event_id": google_id},
            after_google=None,
        )
        if event is not None:
            await event_repository.set_google_sync(session, event.id, SyncStatus.PENDING)
        restored += 1
    return restored


def _uid_of(google_id: str) -> str | None:
    """The uid a copy's id was derived from (``"cb"`` + 32 hex digits), else None."""
    uid = google_id[len(ID_PREFIX) :]
    if google_id.startswith(ID_PREFIX) and len(uid) == 32:
        return uid
    return None
