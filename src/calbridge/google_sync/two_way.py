"""``two_way`` calendars (CONTRACT §3.5): a change made in Google to a booking's copy is applied
to the booking through the event service, so every booking rule is checked and event rules run
(history: ``google_change_applied``, source ``google``, no actor).

- a copy deleted or cancelled in Google cancels the booking;
- a new title, description, location, start or end is an update of those fields. Google is the
  calendar's owner acting in their own calendar, so notice and advance windows do not apply
  (as for a token with ``calendars:admin``); availability, buffers and conflicts do;
- a change the rules refuse (409/422) changes nothing in calbridge: it is recorded as
  ``google_change_refused`` (its ``changes`` are what Google asked for, and ``refusal`` the
  error's code) and the caller puts the copy back.

Each attempt runs in a savepoint of the pull's transaction, so a refusal leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.errors import CalbridgeError
from calbridge.event import history
from calbridge.event import service as event_service
from calbridge.event.conflicts import BusyTimeSource
from calbridge.event.history import Source
from calbridge.event.models import Event
from calbridge.event.schemas import CancelRequest, EventUpdate
from calbridge.google_sync import pull
from calbridge.statuses import EventStatus
from calbridge.workspace.models import Workspace

CANCEL_REASON = "Deleted in Google Calendar"


async def apply(
    session: AsyncSession,
    workspace_id: int,
    event: Event,
    item: dict[str, Any],
    busy_source: BusyTimeSource,
) -> bool:
    """Apply Google's copy to the booking; False if refused (then the copy is to be restored)."""
    workspace = await session.get(Workspace, workspace_id)
    if workspace is None:
        return False
    wanted = _wanted(event, item)
    with history.acting(session, Source.GOOGLE, None):
        try:
            async with session.begin_nested():
                if item.get("status") == EventStatus.CANCELLED:
                    await event_service.cancel_event(
                        session,
                        workspace,
                        event.id,
                        CancelRequest(reason=CANCEL_REASON),
                        privileged=True,
                    )
                else:
                    update = EventUpdate.model_validate(
                        {key: change["to"] for key, change in wanted.items()}
                    )
                    await event_service.update_event(
                        session,
                        workspace,
                        event.id,
                        update,
                        privileged=True,
                        busy_source=busy_source,
                    )
        except (CalbridgeError, ValidationError) as error:
            code = error.code if isinstance(error, CalbridgeError) else "validation_error"
            refused = {**wanted, "refusal": {"from": None, "to": code}}
            await history.add(session, event.id, "google_change_refused", refused)
            return False
    return True


def _wanted(event: Event, item: dict[str, Any]) -> dict[str, Any]:
    """The fields Google's copy changes, ``{field: {"from": ours, "to": Google's}}`` in the API's
    names (times as Google wrote them)."""
    ours: dict[str, Any] = {
        "title": event.title,
        "description": event.description,
        "location": event.location,
    }
    theirs: dict[str, Any] = {
        "title": item.get("summary") or "",
        "description": item.get("description") or None,
        "location": item.get("location") or None,
    }
    changes = {
        key: {"from": ours[key], "to": theirs[key]} for key in ours if ours[key] != theirs[key]
    }
    for key, field in (("startTime", "start"), ("endTime", "end")):
        value = (item.get(field) or {}).get("dateTime")
        mine = event.start_at if key == "startTime" else event.end_at
        if value is None or pull.parse_instant(value) != mine:
            changes[key] = {"from": mine.isoformat(), "to": value}
    return changes
