"""Events: browse (calendar, date range, status; paged), book, open one, cancel one — all through
the event service, so the booking rules (availability, attendee limit, overlap) hold here too."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from calbridge.admin import free_slots
from calbridge.admin.common import PageNotFound, form_text, load_workspace
from calbridge.admin.csrf import CheckedForm
from calbridge.admin.listing import Listing
from calbridge.admin.notice import redirect_with
from calbridge.admin.render import field_errors, render
from calbridge.admin.session import CurrentAdmin
from calbridge.calendar import repository as calendar_repository
from calbridge.deps import SessionDep
from calbridge.errors import CalbridgeError, NotFound
from calbridge.event import history, presenter, repository, service
from calbridge.event.history import Source
from calbridge.event.schemas import MAX_ATTENDEES, CancelRequest, EventCreate
from calbridge.schemas import PathId
from calbridge.services import services_of
from calbridge.statuses import EventStatus
from calbridge.timezones import load_timezone, local_to_utc_lenient
from calbridge.workspace import repository as workspace_repository
from calbridge.workspace.models import Workspace

router = APIRouter()
STATUSES = tuple(EventStatus)
# Wire names of EventCreate → the booking form's field names.
FIELDS = {
    "calendarId": "calendar_id",
    "startTime": "start_time",
    "endTime": "end_time",
    "attendeeIds": "attendee_ids",
}
MAX_MEMBERS_SHOWN = 200
# The list's sortable columns (URL key → the event repository's sort key); the first is the default.
SORTS = {"start": "startTime", "end": "endTime", "title": "title"}


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _number(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


async def choices(db: SessionDep, workspace: Workspace) -> dict[str, Any]:
    calendars = await calendar_repository.page_calendars(db, workspace.id, page=1, size=500)
    members = await workspace_repository.page_members(
        db, workspace.id, page=1, size=MAX_MEMBERS_SHOWN
    )
    return {"calendars": calendars.items, "members": members.items}


@router.get("/w/{uuid}/events")
async def list_events(
    request: Request,
    uuid: str,
    admin: CurrentAdmin,
    db: SessionDep,
    calendar: str | None = None,
    start: str | None = None,
    end: str | None = None,
    status: str | None = None,
) -> Response:
    """Dates are whole days in the chosen calendar's time zone (else the workspace's); the
    range includes its end day. Searchable by title; sorted by start, end or title."""
    workspace = await load_workspace(db, uuid)
    calendar_id = _number(calendar)
    chosen = (
        await calendar_repository.get_calendar(db, workspace.id, calendar_id)
        if calendar_id is not None
        else None
    )
    zone = load_timezone(chosen.timezone if chosen else workspace.timezone)
    start_day, end_day = _day(start), _day(end)
    filters = {
        "calendar": str(calendar_id or ""),
        "start": start_day.isoformat() if start_day else "",
        "end": end_day.isoformat() if end_day else "",
        "status": status if status in STATUSES else "",
    }
    listing = Listing.of(
        f"/admin/w/{uuid}/events", request.query_params, tuple(SORTS), filters=filters
    )
    paged = await repository.page_events(
        db,
        workspace.id,
        calendar_id=calendar_id,
        start_at=local_to_utc_lenient(start_day, time(0), zone) if start_day else None,
        end_at=local_to_utc_lenient(end_day + timedelta(days=1), time(0), zone)
        if end_day
        else None,
        status=filters["status"] or None,
        sort_by=SORTS[listing.sort],
        descending=listing.descending,
        page=listing.page,
        size=listing.size,
        title_contains=listing.q or None,
    )
    await repository.load_attendees(db, workspace.id, paged.items)  # the page joined calendars
    return render(
        request,
        "events.html",
        admin,
        workspace=workspace,
        paged=paged,
        filters=filters,
        listing=listing,
        statuses=STATUSES,
        tab="events",
        **(await choices(db, workspace)),
    )


def _booking_page(
    request: Request,
    admin: CurrentAdmin,
    workspace: Workspace,
    choices: dict[str, Any],
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    finder: free_slots.Finder | None = None,
) -> Response:
    return render(
        request,
        "event_new.html",
        admin,
        status_code=status_code,
        workspace=workspace,
        form=form,
        errors=errors or {},
        finder=finder or free_slots.Finder(),
        tab="events",
        **choices,
    )


@router.get("/w/{uuid}/events/new")
async def new_event(
    request: Request,
    uuid: str,
    admin: CurrentAdmin,
    db: SessionDep,
    calendar: str | None = None,
    day: str | None = None,
    duration: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Response:
    """The booking form. With ``calendar`` and ``day`` it lists that day's free slots (as the
    API's /slots gives them) as links that fill in the start and end."""
    workspace = await load_workspace(db, uuid)
    form = {
        "attendee_ids": [],
        "calendar_id": calendar or "",
        "start_time": form_text(start, 40),
        "end_time": form_text(end, 40),
    }
    finder = await free_slots.find(
        db,
        workspace,
        _number(calendar),
        _day(day),
        _number(duration),
        busy_source=services_of(request).busy_source,
    )
    return _booking_page(
        request, admin, workspace, await choices(db, workspace), form, finder=finder
    )


@router.post("/w/{uuid}/events")
async def book_event(
    request: Request, uuid: str, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    workspace = await load_workspace(db, uuid)
    values = {
        "calendar_id": form_text(form.get("calendar_id"), 20),
        "title": form_text(form.get("title"), 300),
        "start_time": form_text(form.get("start_time"), 40),
        "end_time": form_text(form.get("end_time"), 40),
        "attendee_ids": [str(v) for v in form.getlist("attendee_ids")][: MAX_ATTENDEES + 1],
    }
    body = {
        "calendarId": values["calendar_id"] or None,
        "title": values["title"],
        "startTime": values["start_time"] or None,
        "endTime": values["end_time"] or None,
        "attendeeIds": values["attendee_ids"],
    }
    try:
        # A form posts every value as text: ids are read from it laxly (the API's JSON is strict).
        history.act_as(db, Source.ADMIN, admin.email)
        booked = await service.create_event(
            db,
            workspace,
            EventCreate.model_validate(body, strict=False),
            busy_source=services_of(request).busy_source,
            privileged=True,
        )
    except (ValidationError, CalbridgeError) as error:
        await db.rollback()
        workspace = await load_workspace(db, uuid)
        options = await choices(db, workspace)
        errors = field_errors(error, FIELDS)
        return _booking_page(request, admin, workspace, options, values, errors, 422)
    message = f"Event “{booked.event.title}” booked."
    return redirect_with(request, f"/admin/w/{uuid}/events/{booked.event.id}", message)


async def load_event(
    db: SessionDep, uuid: str, event_id: int
) -> tuple[Workspace, service.EventView]:
    """The URL's workspace and its event as the event and edit pages show it."""
    workspace = await load_workspace(db, uuid)
    try:
        return workspace, await service.view_event(db, workspace, event_id)
    except NotFound:
        raise PageNotFound("Event") from None


# The page shows the first changes; the API pages through all of them.
HISTORY_SHOWN = 100


@router.get("/w/{uuid}/events/{event_id}")
async def show_event(
    request: Request, uuid: str, event_id: PathId, admin: CurrentAdmin, db: SessionDep
) -> Response:
    workspace, view = await load_event(db, uuid, event_id)
    changes = (await history.page(db, view.event.id, page=1, size=HISTORY_SHOWN)).items
    return render(
        request,
        "event.html",
        admin,
        workspace=workspace,
        event=view.event,
        calendar=view.calendar,
        members=view.members,
        history=changes,
        version=presenter.etag(view.event),
        tab="events",
    )


@router.post("/w/{uuid}/events/{event_id}/cancel")
async def cancel_event(
    request: Request,
    uuid: str,
    event_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    workspace = await load_workspace(db, uuid)
    reason = form_text(form.get("reason"), 2000) or None
    history.act_as(db, Source.ADMIN, admin.email)
    try:
        cancelled = await service.cancel_event(
            db, workspace, event_id, CancelRequest(reason=reason), privileged=True
        )
    except NotFound:
        raise PageNotFound("Event") from None
    message = f"Event “{cancelled.event.title}” cancelled."
    return redirect_with(request, f"/admin/w/{uuid}/events/{event_id}", message)
