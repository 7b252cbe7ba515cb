"""The booking form's slot finder: the free slots of one calendar on one local day, from the
same function as the API's /slots (so the panel offers what a booking client would be offered;
the panel itself may still book inside notice and advance windows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.admin.times import form_value, format_instant
from calbridge.calendar import repository as calendar_repository
from calbridge.event.conflicts import BusyTimeSource
from calbridge.scheduling import service
from calbridge.scheduling.schemas import MAX_MINUTES, MIN_MINUTES
from calbridge.timezones import load_timezone, local_to_utc_lenient
from calbridge.workspace.models import Workspace

DEFAULT_DURATION = 30


@dataclass(frozen=True)
class Slot:
    label: str  # "09:30+02:00 to 10:00+02:00"
    start: str  # the booking form's values: "2026-04-13 09:30+02:00"
    end: str


@dataclass(frozen=True)
class Finder:
    calendar_id: int | None = None
    day: str = ""
    duration: int = DEFAULT_DURATION
    searched: bool = False
    slots: list[Slot] = field(default_factory=list)


async def find(
    session: AsyncSession,
    workspace: Workspace,
    calendar_id: int | None,
    day: date | None,
    duration: int | None,
    *,
    busy_source: BusyTimeSource,
) -> Finder:
    minutes = duration if duration and MIN_MINUTES <= duration <= MAX_MINUTES else DEFAULT_DURATION
    if calendar_id is None or day is None:
        return Finder(calendar_id=calendar_id, duration=minutes)
    calendar = await calendar_repository.get_calendar(session, workspace.id, calendar_id)
    if calendar is None:
        return Finder(duration=minutes)
    zone = load_timezone(calendar.timezone)
    found = await service.list_slots(
        session,
        workspace,
        calendar.id,
        start=local_to_utc_lenient(day, time(0), zone),
        end=local_to_utc_lenient(day + timedelta(days=1), time(0), zone),
        duration=minutes,
        step=None,
        timezone=None,
        busy_source=busy_source,
    )
    slots = [
        Slot(
            label=f"{format_instant(slot.start, zone.key, clock=True)}"
            f" to {format_instant(slot.end, zone.key, clock=True)}",
            start=form_value(slot.start),
            end=form_value(slot.end),
        )
        for slot in found.slots
    ]
    return Finder(calendar.id, day.isoformat(), minutes, True, slots)
