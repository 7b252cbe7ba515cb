from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query

from calbridge.calendar.schemas import check_timezone
from calbridge.deps import ReadSubject, SessionDep
from calbridge.errors import ValidationProblem, problem_responses
from calbridge.scheduling import service
from calbridge.scheduling.schemas import (
    MAX_MINUTES,
    MIN_MINUTES,
    FreeBusyRequest,
    FreeBusyResponse,
    SlotsResponse,
    parse_date_time,
)
from calbridge.schemas import Digits, PathId
from calbridge.services import ServicesDep

T = TypeVar("T")
router = APIRouter(tags=["scheduling"])
ERRORS = (401, 403, 404, 422, 503)


Minutes = Annotated[Digits, Query(ge=MIN_MINUTES, le=MAX_MINUTES)]
DateTimeQuery = Annotated[
    str,
    Query(
        description="RFC 3339 date-time; without an offset, local to `timezone` (default: the "
        "calendar's)",
        examples=["2026-04-13T00:00:00"],
    ),
]


@router.get("/calendars/{calendar_id}/slots", responses=problem_responses(*ERRORS))
async def list_calendar_slots(
    calendar_id: PathId,
    subject: ReadSubject,
    session: SessionDep,
    services: ServicesDep,
    start: DateTimeQuery,
    end: DateTimeQuery,
    duration: Minutes = 30,
    step: Minutes | None = None,
    timezone: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> SlotsResponse:
    """Free slots of `duration` minutes in [start, end) (at most 62 days, else 422
    range_too_long): candidates start at each availability window's start (local midnight
    without availability) and every `step` minutes (default `duration`) after it while they end
    inside the window; one is listed if and only if a booking of it without attendees, by a
    token without calendars:admin, would succeed now (availability, overlap, buffers, notice,
    advance, Google busy time). Times are given in `timezone` (default: the calendar's)."""
    if timezone is not None:
        _checked(check_timezone, timezone, "timezone")
    return await service.list_slots(
        session,
        subject.workspace,
        calendar_id,
        start=_checked(parse_date_time, start, "start"),
        end=_checked(parse_date_time, end, "end"),
        duration=duration,
        step=step,
        timezone=timezone,
        busy_source=services.busy_source,
    )


@router.post("/free-busy", responses=problem_responses(*ERRORS, 413))
async def query_free_busy(
    body: FreeBusyRequest, subject: ReadSubject, session: SessionDep, services: ServicesDep
) -> FreeBusyResponse:
    """Merged busy intervals of up to 50 calendars in [start, end) (at most 62 days, else 422
    range_too_long): their non-cancelled events and, with googleConflictCheck, the linked Google
    calendar's busy time. Times without an offset are local to the workspace; each calendar's
    intervals carry its own zone's offset. An unknown or foreign calendar id → 404."""
    return await service.free_busy(session, subject.workspace, body, services.busy_source)


def _checked(parse: Callable[[str], T], value: str, field: str) -> T:
    try:
        return parse(value)
    except ValueError as error:
        raise ValidationProblem(str(error), field=field) from None
