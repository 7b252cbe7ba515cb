"""Booking rule 4 with ``googleConflictCheck``: busy time in the linked Google calendar counts.

How busy is found:

- **create**: Google's freeBusy over ``[start, end)`` (one call; nothing of the new event can be
  in Google yet).
- **update** (``event_id`` given): freeBusy cannot tell which event is busy, and the event's own
  Google copy must not conflict with it. So the events in the window are listed instead
  (``singleEvents``, every page), and counted busy as freeBusy would (not cancelled, not
  ``transparent``), except the event's own copy (its derived id, ``google.sync``).
  Subtracting the copy's interval from freeBusy would also
  hide another Google event over exactly that time.

The check applies whether or not the calendar allows overlap (the flag asks for it explicitly);
note that Google also shows the copies of this calendar's other events.

Every busy period must overlap ``[start, end)`` by more than an instant: meeting end to start
is not a conflict, as with our own events.

Google unreachable (timeouts, 5xx, rate limits after the gateway's retries), a connection that is
missing or broken, or Google refusing the check → 503 ``google_unavailable``: the booking cannot
be checked, so it is not made.

**The lock is held during the call.** This check runs last, after the local overlap check,
while the caller holds the calendar's lock (PostgreSQL: its row; SQLite: the write transaction,
i.e. every write in the database waits). That is what makes the check hold under concurrency
(two bookings of one slot cannot both pass it), and it is one HTTP call, bounded by
``google_timeout_seconds`` per attempt; the price is that, on SQLite, a slow Google slows every
booking, and on PostgreSQL every booking of that calendar. Credentials write a refreshed token
through the caller's session (``google.transactions.SessionDatabase``), because on SQLite a
transaction of their own would wait for the request's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.calendar.models import Calendar
from calbridge.errors import Conflict
from calbridge.google import runtime, sync
from calbridge.google.client import GoogleCalendarClient
from calbridge.google.errors import GoogleError, GoogleUnavailable
from calbridge.google.models import ACTIVE
from calbridge.google.service import calendar_client, get_connection
from calbridge.google.transactions import SessionDatabase
from calbridge.workspace.models import Workspace

# events.list pages read at most while looking for busy time (2500 events each).
MAX_PAGES = 4


async def check_google_busy(
    session: AsyncSession,
    workspace: Workspace,
    calendar: Calendar,
    start_at: datetime,
    end_at: datetime,
    *,
    event_id: int | None,
) -> None:
    """Raise 409 ``slot_conflict`` if the linked Google calendar is busy in ``[start, end)``."""
    if (
        not calendar.google_conflict_check
        or calendar.google_account_id is None
        or not calendar.google_calendar_id
    ):
        return
    connection = await get_connection(session, calendar.google_account_id)
    if connection is None or connection.status != ACTIVE:
        raise GoogleUnavailable(
            "The calendar's Google account is not connected, so its busy time cannot be checked."
        )
    client = calendar_client(runtime.gateway(), SessionDatabase(session), connection)
    try:
        if event_id is None:
            busy = await _free_busy(client, calendar.google_calendar_id, start_at, end_at)
        else:
            own = sync.google_event_id(workspace.uuid, event_id)
            busy = await _busy_events(client, calendar.google_calendar_id, start_at, end_at, own)
    except GoogleError as error:
        raise GoogleUnavailable(
            f"Google Calendar could not be checked for busy time: {error.message}"
        ) from error
    if busy:
        raise Conflict("The slot is busy in the linked Google calendar.", code="slot_conflict")


async def _free_busy(
    client: GoogleCalendarClient, calendar_id: str, start_at: datetime, end_at: datetime
) -> bool:
    answer = await client.free_busy([calendar_id], start_at, end_at)
    entry = (answer.get("calendars") or {}).get(calendar_id)
    if not isinstance(entry, dict):
        raise GoogleError("freeBusy did not answer for the calendar")
    if entry.get("errors"):
        reasons = ", ".join(str(e.get("reason")) for e in entry["errors"] if isinstance(e, dict))
        raise GoogleError(f"freeBusy failed for the calendar: {reasons}")
    return any(
        _overlaps(period.get("start"), period.get("end"), start_at, end_at)
        for period in entry.get("busy") or []
        if isinstance(period, dict)
    )


async def _busy_events(
    client: GoogleCalendarClient,
    calendar_id: str,
    start_at: datetime,
    end_at: datetime,
    own_google_id: str,
) -> bool:
    params: dict[str, str | int | bool] = {
        "timeMin": start_at.isoformat(),
        "timeMax": end_at.isoformat(),
        "singleEvents": True,
        "maxResults": 2500,
    }
    for _ in range(MAX_PAGES):
        page = await client.list_events(calendar_id, **params)
        for item in page.get("items") or []:
            if isinstance(item, dict) and _busy(item) and not _own(item, own_google_id):
                return True
        token = page.get("nextPageToken")
        if not token:
            return False
        params["pageToken"] = str(token)
    raise GoogleError("too many events in the window to check")


def _busy(item: dict[str, Any]) -> bool:
    return item.get("status") != "cancelled" and item.get("transparency") != "transparent"


def _own(item: dict[str, Any], own_google_id: str) -> bool:
    return item.get("id") == own_google_id


def _overlaps(start: Any, end: Any, start_at: datetime, end_at: datetime) -> bool:
    try:
        busy_start = datetime.fromisoformat(str(start))
        busy_end = datetime.fromisoformat(str(end))
    except ValueError:
        return True  # busy, but unreadable: err on the side of no double booking
    return busy_start < end_at and busy_end > start_at
