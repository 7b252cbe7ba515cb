from __future__ import annotations

from datetime import datetime
from typing import Annotated, NoReturn

from fastapi import APIRouter, Body, Depends, Header, Query, Response

from calbridge.calendar import repository as calendar_repository
from calbridge.deps import AdminSubject, ReadSubject, SessionDep, WriteSubject
from calbridge.errors import ValidationProblem, problem_responses
from calbridge.event import history, presenter, repository, service
from calbridge.event.history import Source
from calbridge.event.schemas import (
    AttendeeResponse,
    CancelRequest,
    EventChangeResponse,
    EventCreate,
    EventResponse,
    EventStatus,
    EventUpdate,
    RsvpRequest,
    SortBy,
    SortOrder,
    check_instant,
)
from calbridge.schemas import (
    MAX_ID,
    DateTimeText,
    Deleted,
    Digits,
    Page,
    PageParams,
    PathId,
    page_params,
)
from calbridge.services import ServicesDep
from calbridge.timezones import load_timezone, to_local, utc_instant

router = APIRouter(prefix="/calendar-events", tags=["calendar events"])
AUTH = (401, 403, 404)
BOOKING_ERRORS = (409, 413, 422)
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The event's ETag as last seen: the change happens only if it is current "
        "(else 412 and nothing changes).",
    ),
]


def _respond(view: service.EventView, *, status_code: int = 200, **headers: str) -> Response:
    """The event as JSON with its ETag, serialised once: given the model, FastAPI would dump it,
    validate it again as the route's ``response_model`` and serialise that (three passes)."""
    return Response(
        view.response().model_dump_json(),
        status_code=status_code,
        headers={"ETag": presenter.etag(view.event), **headers},
        media_type="application/json",
    )


@router.get("", response_model=Page[EventResponse], responses=problem_responses(*AUTH, 422))
async def list_calendar_events(
    subject: ReadSubject,
    session: SessionDep,
    paging: Annotated[PageParams, Depends(page_params)],
    calendar_id: Annotated[Digits | None, Query(alias="calendarId", ge=1, le=MAX_ID)] = None,
    start_date: Annotated[DateTimeText | None, Query(alias="startDate")] = None,
    end_date: Annotated[DateTimeText | None, Query(alias="endDate")] = None,
    status: EventStatus | None = None,
    sort_by: Annotated[SortBy, Query(alias="sortBy")] = "startTime",
    sort_order: Annotated[SortOrder, Query(alias="sortOrder")] = "asc",
) -> Response:
    """Events overlapping [startDate, endDate), filtered, sorted (ties by id) and paged. Dates
    without an offset are local to the calendar (with calendarId) or to the workspace."""
    zone_name = subject.workspace.timezone
    local = any(bound is not None and bound.tzinfo is None for bound in (start_date, end_date))
    if calendar_id is not None and local:  # only local dates need the calendar's zone
        calendar = await calendar_repository.get_calendar(
            session, subject.workspace.id, calendar_id
        )
        zone_name = calendar.timezone if calendar is not None else zone_name
    start_at = _bound(start_date, zone_name, "startDate")
    end_at = _bound(end_date, zone_name, "endDate")
    events = await repository.page_events(
        session,
        subject.workspace.id,
        calendar_id=calendar_id,
        start_at=start_at,
        end_at=end_at,
        status=status,
        sort_by=sort_by,
        descending=sort_order == "desc",
        page=paging.page,
        size=paging.page_size,
    )
    items = await presenter.present_many(session, subject.workspace.id, events.items)
    page = Page.of(events, items).model_dump_json()  # once, as _respond does
    if len(page) > MAX_PAGE_BYTES:
        _refuse_page(items, paging.page_size)
    return Response(page, media_type="application/json")


# The JSON of one list page stays below this (docs/decisions.md, "Limits (issue 8)").
MAX_PAGE_BYTES = 2 * 1024 * 1024


def _refuse_page(items: list[EventResponse], page_size: int) -> NoReturn:
    """A page of big events (many attendees with long comments) would run to tens of MB:
    refuse it, naming a pageSize whose pages fit, rather than send it."""
    sizes = [len(item.model_dump_json()) for item in items]
    fits = max(1, MAX_PAGE_BYTES // max(sizes))
    raise ValidationProblem(
        f"This page would be {sum(sizes)} bytes, more than the {MAX_PAGE_BYTES} a page may be;"
        f" ask for fewer events per page (pageSize={max(1, min(fits, page_size - 1))} fits).",
        field="pageSize",
        code="page_too_large",
    )


@router.post(
    "",
    status_code=201,
    response_model=EventResponse,
    responses=problem_responses(*AUTH, *BOOKING_ERRORS, 503),
)
async def create_calendar_event(
    body: EventCreate,
    subject: WriteSubject,
    session: SessionDep,
    services: ServicesDep,
) -> Response:
    """Book an event. The booking rules are checked in order: body (422), attendee limit
    (409 attendee_limit_exceeded), notice and advance (409 notice_too_short,
    too_far_in_advance; not for tokens with calendars:admin), availability
    (409 outside_availability), overlap with buffers (409 slot_conflict). Accepts
    Idempotency-Key."""
    history.act_as(session, Source.API, subject.token_name)
    view = await service.create_event(
        session,
        subject.workspace,
        body,
        busy_source=services.busy_source,
        privileged=subject.is_admin,
    )
    location = f"/api/v2/w/{subject.workspace.uuid}/calendar-events/{view.event.id}"
    return _respond(view, status_code=201, Location=location)


@router.get(
    "/{event_id}",
    response_model=EventResponse,
    responses={
        304: {"description": "If-None-Match names the current ETag (empty body)"},
        **problem_responses(*AUTH, 422),
    },
)
async def get_calendar_event(
    event_id: PathId,
    subject: ReadSubject,
    session: SessionDep,
    if_none_match: Annotated[
        str | None,
        Header(alias="If-None-Match", description="ETags the client holds: 304 if one is current"),
    ] = None,
) -> Response:
    """One event, with its ETag; 304 (empty) when If-None-Match names its current ETag."""
    shown = await service.view_event(session, subject.workspace, event_id)
    if not service.matches_none(shown.event, if_none_match):
        return Response(status_code=304, headers={"ETag": presenter.etag(shown.event)})
    return _respond(shown)


async def update_calendar_event(
    event_id: PathId,
    body: EventUpdate,
    subject: WriteSubject,
    session: SessionDep,
    services: ServicesDep,
    if_match: IfMatch = None,
) -> Response:
    """Change any subset of the create fields (JSON Merge Patch: omitted fields keep their
    value, ``metadata`` merges). The booking rules are checked again when time, calendar or
    attendees change. A stale If-Match → 412; a cancelled event → 409 event_cancelled; moving
    an event inside its calendar's cancellation notice → 409 change_too_late (not for tokens
    with calendars:admin). PUT is the older alias of PATCH, with the same meaning."""
    history.act_as(session, Source.API, subject.token_name)
    view = await service.update_event(
        session,
        subject.workspace,
        event_id,
        body,
        busy_source=services.busy_source,
        if_match=if_match,
        privileged=subject.is_admin,
    )
    return _respond(view)


for _method, _name in (("PATCH", "patch_calendar_event"), ("PUT", "update_calendar_event")):
    router.add_api_route(
        "/{event_id}",
        update_calendar_event,
        methods=[_method],
        name=_name,
        response_model=EventResponse,
        responses=problem_responses(*AUTH, *BOOKING_ERRORS, 412, 503),
    )


@router.delete("/{event_id}", responses=problem_responses(*AUTH, 412, 422))
async def delete_calendar_event(
    event_id: PathId, subject: AdminSubject, session: SessionDep, if_match: IfMatch = None
) -> Deleted:
    """Delete the event for good (also from Google, when its calendar is linked)."""
    await service.delete_event(session, subject.workspace, event_id, if_match=if_match)
    return Deleted(id=event_id)


@router.post(
    "/{event_id}/cancel",
    response_model=EventResponse,
    responses=problem_responses(*AUTH, 409, 412, 413, 422),
)
async def cancel_calendar_event(
    event_id: PathId,
    subject: WriteSubject,
    session: SessionDep,
    body: Annotated[CancelRequest | None, Body()] = None,
    if_match: IfMatch = None,
) -> Response:
    """Cancel the event and free its slot; cancelling twice returns it unchanged. Inside the
    calendar's cancellation notice → 409 change_too_late (not for tokens with calendars:admin)."""
    history.act_as(session, Source.API, subject.token_name)
    view = await service.cancel_event(
        session,
        subject.workspace,
        event_id,
        body or CancelRequest(),
        privileged=subject.is_admin,
        if_match=if_match,
    )
    return _respond(view)


@router.get("/{event_id}/attendees", responses=problem_responses(*AUTH, 422))
async def list_event_attendees(
    event_id: PathId, subject: ReadSubject, session: SessionDep
) -> list[AttendeeResponse]:
    """The event's attendees, in the order they were given."""
    return (await service.view_event(session, subject.workspace, event_id)).response().attendees


@router.get("/{event_id}/history", responses=problem_responses(*AUTH, 422))
async def list_event_history(
    event_id: PathId,
    subject: ReadSubject,
    session: SessionDep,
    paging: Annotated[PageParams, Depends(page_params)],
) -> Page[EventChangeResponse]:
    """Every change of the event, oldest first: what changed (``{"from", "to"}`` per field),
    when, through which door (``source``) and by whom (``actor``: the token's name, the admin's
    email, or null)."""
    event = await service.get_event(session, subject.workspace, event_id)
    calendar = await calendar_repository.get_calendar(
        session, subject.workspace.id, event.calendar_id
    )
    tz = load_timezone(calendar.timezone if calendar is not None else subject.workspace.timezone)
    rows = await history.page(session, event.id, page=paging.page, size=paging.page_size)
    items = [
        EventChangeResponse(
            at=to_local(row.at, tz),
            action=row.action,
            source=row.source,
            actor=row.actor,
            changes=row.changes,
        )
        for row in rows.items
    ]
    return Page.of(rows, items)


@router.put(
    "/{event_id}/attendees/{member_id}", responses=problem_responses(*AUTH, 409, 412, 413, 422)
)
async def respond_to_event(
    event_id: PathId,
    member_id: PathId,
    body: RsvpRequest,
    subject: WriteSubject,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> AttendeeResponse:
    """Record an attendee's response (RSVP). 404 if the member does not attend the event. The
    ETag header is the event's new one."""
    history.act_as(session, Source.API, subject.token_name)
    view, attendee = await service.respond(
        session, subject.workspace, event_id, member_id, body, if_match=if_match
    )
    response.headers["ETag"] = presenter.etag(view.event)
    tz = load_timezone(view.calendar.timezone)
    return presenter.present_attendee(attendee, view.members[member_id], tz)


def _bound(value: datetime | None, zone_name: str, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        check_instant(value)
    except ValueError as error:
        raise ValidationProblem(str(error), field=field) from None
    return utc_instant(value, load_timezone(zone_name), field)
