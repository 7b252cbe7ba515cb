from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from calbridge.calendar import repository, service
from calbridge.calendar.schemas import CalendarCreate, CalendarResponse, CalendarUpdate
from calbridge.deps import AdminSubject, ReadSubject, SessionDep
from calbridge.errors import problem_responses
from calbridge.schemas import Deleted, Page, PageParams, PathId, page_params

router = APIRouter(prefix="/calendars", tags=["calendars"])
AUTH = (401, 403, 404)


@router.get("", responses=problem_responses(*AUTH, 422))
async def list_calendars(
    subject: ReadSubject, session: SessionDep, paging: Annotated[PageParams, Depends(page_params)]
) -> Page[CalendarResponse]:
    """The workspace's calendars, by id."""
    calendars = await repository.page_calendars(
        session, subject.workspace.id, page=paging.page, size=paging.page_size
    )
    return Page.of(
        calendars, [CalendarResponse.model_validate(calendar) for calendar in calendars.items]
    )


@router.post("", status_code=201, responses=problem_responses(*AUTH, 413, 422))
async def create_calendar(
    body: CalendarCreate, subject: AdminSubject, session: SessionDep, response: Response
) -> CalendarResponse:
    """Create a calendar with its time zone, availability, attendee limit and overlap policy.
    Two availability windows of one day that overlap → 422 overlapping_windows."""
    calendar = await service.create_calendar(session, subject.workspace, body)
    response.headers["Location"] = f"/api/v2/w/{subject.workspace.uuid}/calendars/{calendar.id}"
    return CalendarResponse.model_validate(calendar)


@router.get("/{calendar_id}", responses=problem_responses(*AUTH, 422))
async def get_calendar(
    calendar_id: PathId, subject: ReadSubject, session: SessionDep
) -> CalendarResponse:
    """One calendar."""
    return CalendarResponse.model_validate(
        await service.get_calendar(session, subject.workspace, calendar_id)
    )


@router.patch("/{calendar_id}", responses=problem_responses(*AUTH, 409, 413, 422))
async def update_calendar(
    calendar_id: PathId, body: CalendarUpdate, subject: AdminSubject, session: SessionDep
) -> CalendarResponse:
    """Change a calendar. Existing events are kept as they are; forbidding overlap while events
    overlap is refused (409 slot_conflict); availability windows of one day that overlap (after
    the merge) → 422 overlapping_windows."""
    return CalendarResponse.model_validate(
        await service.update_calendar(session, subject.workspace, calendar_id, body)
    )


@router.delete("/{calendar_id}", responses=problem_responses(*AUTH, 409, 422))
async def delete_calendar(
    calendar_id: PathId, subject: AdminSubject, session: SessionDep
) -> Deleted:
    """Delete a calendar that holds no events (else 409 calendar_not_empty)."""
    await service.delete_calendar(session, subject.workspace, calendar_id)
    return Deleted(id=calendar_id)
