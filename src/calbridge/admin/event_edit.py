"""Changing a booked event: edit (title, place, status, attendees) and reschedule (calendar,
start, end) in one form, and delete — through the event service, with the API's rules.

The form carries the event's ETag as it was when the form was shown, and the service checks it
as the API checks ``If-Match``: if the event changed in between, nothing is saved (412) and the
form says so. Only the fields that differ from the event are sent, as a PUT with a subset would
be: a title change does not re-read an unchanged local time (which a DST fall-back could make
ambiguous) nor re-check the booking rules."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from calbridge.admin.common import PageNotFound, form_text
from calbridge.admin.csrf import CheckedForm
from calbridge.admin.events import FIELDS, choices, load_event
from calbridge.admin.notice import redirect_with
from calbridge.admin.render import field_errors, render
from calbridge.admin.session import CurrentAdmin
from calbridge.admin.times import form_value
from calbridge.deps import SessionDep
from calbridge.errors import CalbridgeError, NotFound, PreconditionFailed
from calbridge.event import history, presenter, service
from calbridge.event.history import Source
from calbridge.event.schemas import MAX_ATTENDEES, EventUpdate
from calbridge.schemas import PathId
from calbridge.services import services_of
from calbridge.statuses import EventStatus
from calbridge.workspace.models import Workspace

router = APIRouter()
STATUSES = (EventStatus.CONFIRMED, EventStatus.TENTATIVE)
STALE = (
    "This event was changed elsewhere after this form was opened; nothing was saved. "
    "Reload the event to see the change, then edit again."
)
# Form field → wire name, for the fields sent only when they differ from the event.
WIRE = {
    "calendar_id": "calendarId",
    "title": "title",
    "start_time": "startTime",
    "end_time": "endTime",
    "description": "description",
    "location": "location",
    "status": "status",
}


def _form_of(view: service.EventView) -> dict[str, Any]:
    """The event as the form shows it; times are the calendar's local wall time with the
    offset (so a time of a fall-back night says which of its two occurrences it is)."""
    zone = ZoneInfo(view.calendar.timezone)
    event = view.event
    return {
        "calendar_id": str(event.calendar_id),
        "title": event.title,
        "start_time": form_value(event.start_at.astimezone(zone)),
        "end_time": form_value(event.end_at.astimezone(zone)),
        "description": event.description or "",
        "location": event.location or "",
        "status": event.status,
        "attendee_ids": [str(a.member_id) for a in event.attendees],
        "version": presenter.etag(event),
    }


def _posted(form: Any) -> dict[str, Any]:
    return {
        "calendar_id": form_text(form.get("calendar_id"), 20),
        "title": form_text(form.get("title"), 300),
        "start_time": form_text(form.get("start_time"), 40),
        "end_time": form_text(form.get("end_time"), 40),
        "description": form_text(form.get("description"), 11_000),
        "location": form_text(form.get("location"), 1100),
        "status": form_text(form.get("status"), 20),
        "attendee_ids": [str(v) for v in form.getlist("attendee_ids")][: MAX_ATTENDEES + 1],
        "version": form_text(form.get("version"), 200),
    }


def changes(current: dict[str, Any], posted: dict[str, Any]) -> dict[str, Any]:
    """The update body: what differs, by wire name (an emptied description or location is
    null; an emptied required field is sent empty, so the schema refuses it)."""
    body: dict[str, Any] = {}
    for name, wire in WIRE.items():
        if posted[name] != current[name]:
            optional = name in ("description", "location")
            body[wire] = posted[name] or (None if optional else posted[name])
    if set(posted["attendee_ids"]) != set(current["attendee_ids"]):
        body["attendeeIds"] = posted["attendee_ids"]
    return body


async def _edit_page(
    request: Request,
    admin: CurrentAdmin,
    db: SessionDep,
    workspace: Workspace,
    view: service.EventView,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "event_edit.html",
        admin,
        status_code=status_code,
        workspace=workspace,
        event=view.event,
        calendar=view.calendar,
        form=form,
        errors=errors or {},
        statuses=STATUSES,
        tab="events",
        **(await choices(db, workspace)),
    )


@router.get("/w/{uuid}/events/{event_id}/edit")
async def edit_event(
    request: Request, uuid: str, event_id: PathId, admin: CurrentAdmin, db: SessionDep
) -> Response:
    workspace, view = await load_event(db, uuid, event_id)
    if view.event.status == EventStatus.CANCELLED:
        raise PageNotFound("Event that can be edited")
    return await _edit_page(request, admin, db, workspace, view, _form_of(view))


@router.post("/w/{uuid}/events/{event_id}/edit")
async def save_event(
    request: Request,
    uuid: str,
    event_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    workspace, view = await load_event(db, uuid, event_id)
    posted = _posted(form)
    body = changes(_form_of(view), posted)
    title = view.event.title
    try:
        history.act_as(db, Source.ADMIN, admin.email)
        # Checked even when nothing differs: a form older than the event's last change must
        # not report success over a change it never saw.
        updated = await service.update_event(
            db,
            workspace,
            event_id,
            EventUpdate.model_validate(body, strict=False),
            busy_source=services_of(request).busy_source,
            if_match=posted["version"] or None,
            privileged=True,
        )
    except NotFound:
        raise PageNotFound("Event") from None
    except (ValidationError, CalbridgeError) as error:
        await db.rollback()
        workspace, view = await load_event(db, uuid, event_id)
        stale = isinstance(error, PreconditionFailed)
        errors = {"_form": STALE} if stale else field_errors(error, FIELDS)
        return await _edit_page(request, admin, db, workspace, view, posted, errors, 422)
    title = updated.event.title
    message = f"Event “{title}” saved." if body else f"Event “{title}”: nothing changed."
    return redirect_with(request, f"/admin/w/{uuid}/events/{event_id}", message)


@router.post("/w/{uuid}/events/{event_id}/delete")
async def delete_event(
    request: Request,
    uuid: str,
    event_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    """A hard delete, as the API's DELETE (and from Google too, when the calendar is linked)."""
    workspace, view = await load_event(db, uuid, event_id)
    title = view.event.title
    version = form_text(form.get("version"), 200) or None
    try:
        await service.delete_event(db, workspace, event_id, if_match=version)
    except PreconditionFailed:
        await db.rollback()
        return redirect_with(
            request,
            f"/admin/w/{uuid}/events/{event_id}",
            "This event was changed after the page was opened; it was not deleted. "
            "Look at it again, then delete.",
        )
    return redirect_with(request, f"/admin/w/{uuid}/events", f"Event “{title}” deleted.")
