"""The booking rules of CONTRACT §3.3, checked in the contract's order.

1. the body is valid (times resolve, end after start, the calendar and the members exist) → 422
2. attendees ≤ the calendar's maxAttendees → 409 attendee_limit_exceeded
3. [start, end) inside the calendar's availability → 409 outside_availability
4. no overlap with a live event of the calendar (unless it allows overlap) → 409 slot_conflict;
   then, with googleConflictCheck, no busy time in the linked Google calendar (``conflicts``)

Concurrency. SQLite: write transactions begin IMMEDIATE, so check-then-insert is serialised and
the overlap check cannot race another booking. PostgreSQL: bookings take the calendar's row
``FOR SHARE`` — they do not queue behind each other, but a calendar change (``FOR UPDATE``)
cannot slip between reading the calendar's rules and inserting the event — and the exclusion
constraint ``events_no_overlap`` is what makes a raced overlap impossible: the second insert
waits for the first to commit, then fails, and the service answers 409 slot_conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.calendar import repository as calendar_repository
from calbridge.calendar.availability import Availability, covers
from calbridge.calendar.models import Calendar
from calbridge.errors import Conflict, FieldError, ValidationProblem
from calbridge.event import conflicts, repository
from calbridge.timezones import NonexistentLocalTime, load_timezone, to_utc
from calbridge.workspace import repository as workspace_repository
from calbridge.workspace.models import Member, Workspace


@dataclass(frozen=True)
class Booking:
    """What a create or an update asks for, before any rule is checked."""

    calendar_id: int
    start_time: datetime  # as given: naive means local to the calendar
    end_time: datetime
    attendee_ids: list[int]


@dataclass(frozen=True)
class CheckedBooking:
    calendar: Calendar
    start_at: datetime  # UTC
    end_at: datetime
    members: dict[int, Member]


async def load_calendar(session: AsyncSession, workspace: Workspace, calendar_id: int) -> Calendar:
    calendar = await calendar_repository.get_calendar(
        session, workspace.id, calendar_id, lock=True, share=True
    )
    if calendar is None:
        raise ValidationProblem(
            "No such calendar in this workspace.", field="calendarId", code="calendar_not_found"
        )
    return calendar


def resolve(value: datetime, calendar: Calendar, field: str) -> datetime:
    try:
        return to_utc(value, load_timezone(calendar.timezone))
    except NonexistentLocalTime:
        raise ValidationProblem(
            f"{value.isoformat()} does not exist in {calendar.timezone} (a daylight-saving gap).",
            field=field,
            code="nonexistent_local_time",
        ) from None


# Availability is evaluated day by day; an unbounded event would let one request hold the
# write lock for seconds. A year covers every real booking.
MAX_EVENT_DURATION = timedelta(days=366)


def _check_order(start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValidationProblem("endTime must be after startTime.", field="endTime")
    if end - start > MAX_EVENT_DURATION:
        raise ValidationProblem(
            f"An event may last at most {MAX_EVENT_DURATION.days} days.",
            field="endTime",
            code="event_too_long",
        )


async def check(
    session: AsyncSession, workspace: Workspace, booking: Booking, *, event_id: int | None = None
) -> CheckedBooking:
    # Rule 1 names endTime first. Two naive (or two aware) times compare without the calendar's
    # zone (naive-to-UTC is monotonic where it is defined), so an inverted range is reported as
    # such even when the calendar is unknown too; mixed ones are compared once resolved.
    if (booking.start_time.tzinfo is None) == (booking.end_time.tzinfo is None):
        _check_order(booking.start_time, booking.end_time)
    calendar = await load_calendar(session, workspace, booking.calendar_id)
    start_at = resolve(booking.start_time, calendar, "startTime")
    end_at = resolve(booking.end_time, calendar, "endTime")
    _check_order(start_at, end_at)
    members = await workspace_repository.members_by_id(
        session, workspace.id, booking.attendee_ids, share=True
    )
    missing = [member_id for member_id in booking.attendee_ids if member_id not in members]
    if missing:
        raise ValidationProblem(
            f"No such member in this workspace: {', '.join(map(str, missing))}.",
            code="member_not_found",
            errors=[
                FieldError(field="attendeeIds", message=f"unknown member {m}") for m in missing
            ],
        )

    if calendar.max_attendees is not None and len(booking.attendee_ids) > calendar.max_attendees:
        raise Conflict(
            f"This calendar allows at most {calendar.max_attendees} attendees.",
            code="attendee_limit_exceeded",
        )
    availability = (
        None if calendar.availability is None else Availability.from_json(calendar.availability)
    )
    if not covers(availability, load_timezone(calendar.timezone), start_at, end_at):
        raise Conflict(
            "The event lies outside the calendar's availability.", code="outside_availability"
        )
    if not calendar.allow_overlap:
        clash = await repository.find_overlap(
            session, calendar.id, start_at, end_at, exclude_id=event_id
        )
        if clash is not None:
            raise Conflict("The slot is already booked.", code="slot_conflict")
    # Last, as it calls Google while the calendar's lock is held (see conflicts' docstring).
    await conflicts.check_google_busy(
        session, workspace, calendar, start_at, end_at, event_id=event_id
    )
    return CheckedBooking(calendar=calendar, start_at=start_at, end_at=end_at, members=members)
