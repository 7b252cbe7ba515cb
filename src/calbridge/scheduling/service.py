"""Free slots of a calendar and free/busy of several (CONTRACT §3.4), read from the same busy
time and the same rules (``scheduling.rules``) as a booking.

Each answer costs a few index-bounded queries: the calendar(s), the longest event of the
calendar(s), and one range scan of ``(calendar_id, start_at)`` reading four columns; plus, with
``googleConflictCheck``, the Google busy time of the range (``event.conflicts``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge import clock
from calbridge.calendar import repository as calendar_repository
from calbridge.calendar.models import Calendar
from calbridge.errors import NotFound, ValidationProblem
from calbridge.event import repository as event_repository
from calbridge.event.booking import policy_of
from calbridge.event.conflicts import BusyTimeSource
from calbridge.scheduling import rules
from calbridge.scheduling.schemas import (
    MAX_RANGE,
    CalendarBusy,
    FreeBusyRequest,
    FreeBusyResponse,
    SlotsResponse,
    TimeSpan,
)
from calbridge.timezones import load_timezone, utc_instant
from calbridge.workspace.models import Workspace


def resolve_range(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants of ``[start, end)`` (naive = local to ``zone``), at most 62 days long."""
    lo, hi = utc_instant(start, zone, "start"), utc_instant(end, zone, "end")
    if hi <= lo:
        raise ValidationProblem("end must be after start.", field="end")
    if hi - lo > MAX_RANGE:
        raise ValidationProblem(
            f"The range may span at most {MAX_RANGE.days} days.",
            field="end",
            code="range_too_long",
        )
    return lo, hi


async def list_slots(
    session: AsyncSession,
    workspace: Workspace,
    calendar_id: int,
    *,
    start: datetime,
    end: datetime,
    duration: int,
    step: int | None,
    timezone: str | None,
    busy_source: BusyTimeSource,
) -> SlotsResponse:
    """The candidates of ``[start, end)`` that a booking without admin scope would get now."""
    calendar = await calendar_repository.get_calendar(session, workspace.id, calendar_id)
    if calendar is None:
        raise NotFound("Calendar")
    zone = load_timezone(timezone or calendar.timezone)
    lo, hi = resolve_range(start, end, zone)
    policy = policy_of(calendar)
    busy = await busy_time(
        session, workspace, calendar, lo - policy.padding, hi + policy.padding, busy_source
    )
    slots = rules.free_slots(
        policy,
        lo,
        hi,
        duration=timedelta(minutes=duration),
        step=timedelta(minutes=step or duration),
        now=clock.now(),
        busy=rules.BusyIndex(busy),
    )
    return SlotsResponse(
        calendar_id=calendar.id,
        timezone=zone.key,
        duration=duration,
        slots=[TimeSpan(start=s.astimezone(zone), end=e.astimezone(zone)) for s, e in slots],
    )


async def busy_time(
    session: AsyncSession,
    workspace: Workspace,
    calendar: Calendar,
    lo: datetime,
    hi: datetime,
    busy_source: BusyTimeSource,
) -> list[rules.Busy]:
    """What counts as busy for booking into ``calendar`` within ``[lo, hi)``: its live events
    unless it allows overlap, and Google busy time with googleConflictCheck."""
    busy = []
    if not calendar.allow_overlap:
        rows = await event_repository.busy_between(session, [calendar.id], lo, hi)
        busy = [rules.Busy(start, end, event_id) for _, event_id, start, end in rows]
    return busy + await busy_source.busy(session, workspace, calendar, lo, hi)


async def free_busy(
    session: AsyncSession, workspace: Workspace, body: FreeBusyRequest, busy_source: BusyTimeSource
) -> FreeBusyResponse:
    """Merged busy intervals of each calendar within the range: its non-cancelled events (with
    or without allowOverlap) and its Google busy time with googleConflictCheck. No buffers:
    free/busy shows when things happen, slots show what can be booked."""
    calendars = await calendar_repository.calendars_by_id(
        session, workspace.id, set(body.calendar_ids)
    )
    if len(calendars) != len(body.calendar_ids):
        raise NotFound("Calendar")
    zone = load_timezone(workspace.timezone)
    lo, hi = resolve_range(body.start, body.end, zone)
    found: dict[int, list[rules.Interval]] = {calendar_id: [] for calendar_id in calendars}
    for calendar_id, _, start, end in await event_repository.busy_between(
        session, list(calendars), lo, hi
    ):
        found[calendar_id].append((max(start, lo), min(end, hi)))
    for calendar in calendars.values():
        busy = await busy_source.busy(session, workspace, calendar, lo, hi)
        found[calendar.id].extend((max(b.start_at, lo), min(b.end_at, hi)) for b in busy)
    result = {}
    for calendar_id in body.calendar_ids:
        tz = load_timezone(calendars[calendar_id].timezone)
        result[str(calendar_id)] = CalendarBusy(
            busy=[
                TimeSpan(start=s.astimezone(tz), end=e.astimezone(tz))
                for s, e in rules.merge(found[calendar_id])
            ]
        )
    return FreeBusyResponse(start=lo.astimezone(zone), end=hi.astimezone(zone), calendars=result)
