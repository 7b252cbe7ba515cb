"""``GoogleBusyTime``: the event domain's ``BusyTimeSource`` for a calendar with
``googleConflictCheck`` — busy time in its linked Google calendar (for bookings, slots and
free/busy).

**From the mirror while it is fresh** (``google.mirror``, §3.5: its last sync at most
``google_mirror_max_age_seconds`` old): a database query, no Google call, so a slow or
unreachable Google does not touch bookings. Otherwise live, as follows.

How busy is found live: the events of the Google calendar in ``[start, end)`` are listed
(``singleEvents``, at most ``MAX_PAGES`` pages) and counted busy as freeBusy counts them (not
cancelled, not ``transparent``, not declined by the calendar's owner), **except calbridge's own
copies** of this workspace's events (``extendedProperties.private.calbridgeWorkspace``). Our own
events are checked locally and as they are now, whereas a copy shows them as they were when the
last sync ran: a cancelled or moved event's copy would keep its old slot busy until the worker
catches up (for as long as the connection is broken), and the event being updated would
conflict with its own copy. Another workspace's copies are somebody else's busy time.

The check applies whether or not the calendar allows overlap (the flag asks for it explicitly).
Events of another calendar of this workspace linked to the same Google calendar are not seen
here (their copies are skipped, and the local check is per calendar).

Meeting end to start is not a conflict, as with our own events: events.list's bounds are
exclusive (an event that ends at ``start`` or begins at ``end`` is not listed).

Google unreachable (timeouts, 5xx, rate limits after the gateway's retries), a connection that is
missing or broken, or Google refusing the check → 503 ``google_unavailable``: the booking cannot
be checked, so it is not made.

**The lock is held during the call.** This check runs last, after the local overlap check,
while the caller holds the calendar's lock (PostgreSQL: its row; SQLite: the write transaction,
i.e. every write in the database waits). That is what makes the check hold under concurrency
(two bookings of one slot cannot both pass it); the price is that, on SQLite, a slow Google
slows every booking, and on PostgreSQL every booking of that calendar. So the whole check (a
token refresh if one is due, then usually one page) has one hard deadline,
``google_conflict_check_timeout_seconds`` (5 s), with no retries inside it: it must end well
before SQLite's busy timeout (30 s), or the writers waiting for the lock would fail with
"database is locked". Past the deadline the booking is 503 ``google_unavailable``. Credentials
write a refreshed token through the caller's session (``google.transactions.SessionDatabase``),
because on SQLite a transaction of their own would wait for the request's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.calendar.models import Calendar
from calbridge.db import utcnow
from calbridge.google import mirror
from calbridge.google.client import GoogleCalendarClient
from calbridge.google.errors import GoogleError, GoogleUnavailable
from calbridge.google.gateway import GoogleGateway
from calbridge.google.models import ACTIVE
from calbridge.google.service import calendar_client, get_connection
from calbridge.google.transactions import SessionDatabase
from calbridge.google_sync import pull
from calbridge.scheduling.rules import Busy
from calbridge.statuses import EventStatus, ResponseStatus
from calbridge.timezones import load_timezone
from calbridge.workspace.models import Workspace

# events.list pages read at most while looking for busy time (2500 events each).
MAX_PAGES = 4


def checks_google(calendar: Calendar) -> bool:
    return bool(
        calendar.google_conflict_check
        and calendar.google_account_id is not None
        and calendar.google_calendar_id
    )


@dataclass(frozen=True)
class GoogleBusyTime:
    """Busy time of a calendar's linked Google calendar, through ``gateway``."""

    gateway: GoogleGateway

    async def busy(
        self,
        session: AsyncSession,
        workspace: Workspace,
        calendar: Calendar,
        start_at: datetime,
        end_at: datetime,
    ) -> list[Busy]:
        return await _google_busy(session, workspace, calendar, start_at, end_at, self.gateway)


async def _google_busy(
    session: AsyncSession,
    workspace: Workspace,
    calendar: Calendar,
    start_at: datetime,
    end_at: datetime,
    gateway: GoogleGateway,
) -> list[Busy]:
    """The busy time of the linked Google calendar that meets ``[start, end)`` (none without
    ``googleConflictCheck``). The event being updated needs no special case: its copy is one of
    ours, so it is skipped."""
    if not checks_google(calendar):
        return []
    assert calendar.google_account_id is not None and calendar.google_calendar_id
    max_age = gateway.settings.google_mirror_max_age_seconds
    mirrored = await mirror.fresh_busy(session, calendar.id, start_at, end_at, utcnow(), max_age)
    if mirrored is not None:  # the mirror answers: no Google call while the lock is held
        return [Busy(start, end) for start, end in mirrored]
    connection = await get_connection(session, calendar.google_account_id)
    if connection is None or connection.status != ACTIVE:
        raise GoogleUnavailable(
            "The calendar's Google account is not connected, so its busy time cannot be checked."
        )
    client = calendar_client(gateway, SessionDatabase(session), connection, retries=0)
    deadline = gateway.settings.google_conflict_check_timeout_seconds
    try:
        async with asyncio.timeout(deadline):
            return await _busy_events(
                client,
                calendar.google_calendar_id,
                start_at,
                end_at,
                workspace.uuid,
                load_timezone(calendar.timezone),
            )
    except GoogleError as error:
        raise GoogleUnavailable(
            f"Google Calendar could not be checked for busy time: {error.message}"
        ) from error
    except TimeoutError:
        raise GoogleUnavailable(
            f"Google Calendar did not answer the busy time check within {deadline:g} s."
        ) from None


async def _busy_events(
    client: GoogleCalendarClient,
    calendar_id: str,
    start_at: datetime,
    end_at: datetime,
    workspace_uuid: str,
    tz: ZoneInfo,
) -> list[Busy]:
    params: dict[str, str | int | bool] = {
        "timeMin": start_at.isoformat(),
        "timeMax": end_at.isoformat(),
        "singleEvents": True,
        "maxResults": 2500,
    }
    found: list[Busy] = []
    for _ in range(MAX_PAGES):
        page = await client.list_events(calendar_id, **params)
        for item in page.get("items") or []:
            if isinstance(item, dict) and _busy(item) and not pull.is_ours(item, workspace_uuid):
                span = _span(item, tz)
                if span is not None:
                    found.append(Busy(*span))
        token = page.get("nextPageToken")
        if not token:
            return found
        params["pageToken"] = str(token)
    raise GoogleError("too many events in the window to check")


def _busy(item: dict[str, Any]) -> bool:
    """As freeBusy: not cancelled, not shown as free, not declined by the calendar's owner."""
    if item.get("status") == EventStatus.CANCELLED or item.get("transparency") == "transparent":
        return False
    return not any(
        isinstance(attendee, dict)
        and attendee.get("self")
        and attendee.get("responseStatus") == ResponseStatus.DECLINED
        for attendee in item.get("attendees") or []
    )


def _span(item: dict[str, Any], tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The event's instants; an all-day event (``date``) runs from local midnight to local
    midnight in the calendar's zone. None if unreadable."""
    bounds = []
    for key in ("start", "end"):
        value = item.get(key) or {}
        try:
            if isinstance(value, dict) and "dateTime" in value:
                moment = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
            elif isinstance(value, dict) and "date" in value:
                moment = datetime.fromisoformat(str(value["date"])).replace(tzinfo=tz)
            else:
                return None
        except ValueError:
            return None
        if moment.tzinfo is None:
            return None
        bounds.append(moment.astimezone(UTC))
    return (bounds[0], bounds[1]) if bounds[0] < bounds[1] else None
