"""A calendar's week and day view: its events and its free slots on a grid in the calendar's
zone. The slots come from the scheduling service, as the API's /slots gives them; a slot links
to the booking form filled in with it, an event to its page. The week or day is in the URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from calbridge import clock
from calbridge.admin.common import PageNotFound, load_workspace
from calbridge.admin.free_slots import DEFAULT_DURATION
from calbridge.admin.grid import Day, Span, day_bounds, place
from calbridge.admin.render import render
from calbridge.admin.session import CurrentAdmin
from calbridge.admin.times import form_value
from calbridge.calendar import repository as calendar_repository
from calbridge.deps import SessionDep
from calbridge.event import repository as event_repository
from calbridge.event.schemas import EARLIEST_YEAR, LATEST_YEAR
from calbridge.scheduling import service as scheduling
from calbridge.scheduling.schemas import MAX_MINUTES, MIN_MINUTES
from calbridge.schemas import MAX_ID
from calbridge.services import services_of
from calbridge.statuses import EventStatus
from calbridge.timezones import load_timezone

router = APIRouter()
# A week of one calendar holding more events than this is shown cut (and says so).
MAX_EVENTS = 500


@dataclass(frozen=True)
class Entry:
    kind: Literal["event", "slot"]
    title: str
    href: str
    status: str = ""


@dataclass(frozen=True)
class Shown:
    span: Literal["week", "day"]
    anchor: date  # the day asked for: the week toggles to it, and it to its week

    @property
    def first(self) -> date:
        if self.span == "day":
            return self.anchor
        return self.anchor - timedelta(days=self.anchor.weekday())

    @property
    def days(self) -> list[date]:
        count = 1 if self.span == "day" else 7
        return [self.first + timedelta(days=i) for i in range(count)]


def _links(here: str, shown: Shown, today: date, minutes: int) -> dict[str, str]:
    """The view's navigation: previous, next, today, and the week/day toggle."""

    def link(span: str, day: date) -> str:
        query = {"span": span, "day": day.isoformat()}
        if minutes != DEFAULT_DURATION:
            query["duration"] = str(minutes)
        return f"{here}?{urlencode(query)}"

    step = timedelta(days=len(shown.days))
    return {
        "previous": link(shown.span, shown.anchor - step),
        "next": link(shown.span, shown.anchor + step),
        "today": link(shown.span, today),
        "week": link("week", shown.anchor),
        "day": link("day", shown.anchor),
    }


def _shown(span: str | None, day: str | None, today: date) -> Shown | None:
    """The days to show, or None for a ``day`` that is not a date of the years events have."""
    try:
        anchor = date.fromisoformat(day) if day else today
    except ValueError:
        return None
    if not EARLIEST_YEAR < anchor.year < LATEST_YEAR:
        return None
    return Shown("day" if span == "day" else "week", anchor)


def _minutes(raw: str | None) -> int:
    value = int(raw) if raw and raw.isdigit() and len(raw) < 6 else DEFAULT_DURATION
    return value if MIN_MINUTES <= value <= MAX_MINUTES else DEFAULT_DURATION


@router.get("/w/{uuid}/calendars/{calendar_id}/view")
async def show_calendar_view(
    request: Request,
    uuid: str,
    calendar_id: str,
    admin: CurrentAdmin,
    db: SessionDep,
    span: str | None = None,
    day: str | None = None,
    duration: str | None = None,
) -> Response:
    """``span`` is ``week`` (Monday to Sunday, the default) or ``day``; ``day`` a date in the
    week (default: today in the calendar's zone); ``duration`` the slot length in minutes."""
    workspace = await load_workspace(db, uuid)
    number = int(calendar_id) if calendar_id.isdigit() and len(calendar_id) < 12 else 0
    calendar = (
        await calendar_repository.get_calendar(db, workspace.id, number)
        if 0 < number <= MAX_ID
        else None
    )
    if calendar is None:
        raise PageNotFound("Calendar")
    zone = load_timezone(calendar.timezone)
    today = clock.now().astimezone(zone).date()
    shown = _shown(span, day, today)
    if shown is None:
        return render(
            request,
            "error.html",
            admin,
            status_code=422,
            title="Not a day",
            message="The day must be a date such as 2026-10-25.",
            workspace=workspace,
            tab="calendars",
        )
    days = shown.days
    lo, hi = day_bounds(days[0], zone)[0], day_bounds(days[-1], zone)[1]
    shown_events = await event_repository.page_events(
        db,
        workspace.id,
        calendar_id=calendar.id,
        start_at=lo,
        end_at=hi,
        status=None,
        sort_by="startTime",
        descending=False,
        page=1,
        size=MAX_EVENTS,
    )
    minutes = _minutes(duration)
    free = await scheduling.list_slots(
        db,
        workspace,
        calendar.id,
        start=lo,
        end=hi,
        duration=minutes,
        step=None,
        timezone=None,
        busy_source=services_of(request).busy_source,
    )
    base = f"/admin/w/{uuid}"
    spans: list[Span[Entry]] = [
        Span(Entry("event", e.title, f"{base}/events/{e.id}", e.status), e.start_at, e.end_at)
        for e in shown_events.items
        if e.status != EventStatus.CANCELLED
    ]
    for slot in free.slots:
        query = {"calendar": calendar.id, "start": form_value(slot.start)}
        query["end"] = form_value(slot.end)
        href = f"{base}/events/new?{urlencode(query)}"
        spans.append(Span(Entry("slot", "free", href), slot.start, slot.end))
    grid: list[Day[Entry]] = place(spans, days, zone)
    here = f"{base}/calendars/{calendar.id}/view"
    return render(
        request,
        "calendar_view.html",
        admin,
        workspace=workspace,
        calendar=calendar,
        grid=grid,
        shown=shown,
        here=here,
        links=_links(here, shown, today, minutes),
        today=today,
        duration=minutes,
        cut=shown_events.total > MAX_EVENTS,
        tab="calendars",
    )
