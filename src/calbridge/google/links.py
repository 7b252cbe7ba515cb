"""A calendar's Google link, as the mirror sees it: a sync state per link.

Called by the calendar service in the transaction that creates, changes or deletes a calendar.
A new link gets a new state (so a mirror never mixes two Google calendars), a channel
(``google.watch``) and its first, full sync (``google.pull``); a link that goes takes its state
and mirror with it and stops its channel (``google.unwatch``) after commit.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.calendar.models import Calendar
from calbridge.google import channels, job_requests, mirror
from calbridge.google.models import GoogleCalendarSync


async def link_changed(session: AsyncSession, calendar: Calendar) -> None:
    """Bring the calendar's sync state in line with its link (after a create or update)."""
    sync = await mirror.get_sync(session, calendar.id, lock=True)
    linked = calendar.google_account_id is not None and bool(calendar.google_calendar_id)
    wanted = (calendar.google_account_id, calendar.google_calendar_id) if linked else None
    if sync is not None and (sync.account_id, sync.google_calendar_id) == wanted:
        return
    if sync is not None:
        await _drop(session, sync)
    if wanted is None:
        return
    assert calendar.google_account_id is not None and calendar.google_calendar_id is not None
    session.add(
        GoogleCalendarSync(
            calendar_id=calendar.id,
            account_id=calendar.google_account_id,
            google_calendar_id=calendar.google_calendar_id,
        )
    )
    await session.flush()
    await job_requests.request_watch(session, calendar.id)
    await job_requests.request_pull(session, calendar.id)


async def unlink(session: AsyncSession, calendar_id: int) -> None:
    """The calendar is going: drop its state and mirror, stop its channel after commit."""
    sync = await mirror.get_sync(session, calendar_id, lock=True)
    if sync is not None:
        await _drop(session, sync)


async def _drop(session: AsyncSession, sync: GoogleCalendarSync) -> None:
    await channels.request_unwatch(session, sync)
    await mirror.clear(session, sync.id)
    await session.delete(sync)
    await session.flush()
