"""The booking rules of CONTRACT §3.3, checked in the contract's order.

1. the body is valid (times resolve, end after start, the calendar and the members exist) → 422
1b. (updates) moving an event that starts sooner than the calendar's cancellation notice
   → 409 change_too_late (the time rules below are ``scheduling.rules``, shared with /slots)
2. attendees ≤ the calendar's maxAttendees → 409 attendee_limit_exceeded
2a. notice and advance → 409 notice_too_short / too_far_in_advance (not for admins)
3. [start, end) inside the calendar's availability → 409 outside_availability
4. no event of the calendar (unless it allows overlap) closer than its buffers → 409
   slot_conflict; then, with googleConflictCheck, no busy time in the linked Google calendar
   (``conflicts``), padded the same way. A new event's own check is its INSERT, which writes
   only if the buffered window is free (``repository.insert_event``; the caller calls
   ``refuse_overlap`` for the detail when it is not), unless the calendar asks Google too: then
   it runs here, before Google is called.

"Admins" are tokens with calendars:admin and the admin panel: they may book inside the notice,
advance and cancellation windows, never outside availability or into a conflict.

Concurrency. SQLite: write transactions begin IMMEDIATE, so check-then-insert is serialised and
the overlap check cannot race another booking. PostgreSQL: bookings take the calendar's row
``FOR SHARE``, so a calendar change (``FOR UPDATE``) cannot slip between reading the
calendar's rules and inserting the event. Bookings of a calendar that forbids overlap then take
a transaction-scoped advisory lock on the calendar, in the same read as the calendar and the
members (``repository.calendar_and_members``): they run one at a time, and each one's
overlap and buffer check sees every committed neighbour. Without it, overlapping inserts wait
on each other inside the exclusion constraint, and a chain of them (staggered slots) deadlocks,
which PostgreSQL breaks by failing one booking with a 503 instead of the contract's 409. The
exclusion constraint ``events_no_overlap`` stays the last word on the raw intervals; calendars
that allow overlap keep booking in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge import clock
from calbridge.calendar.models import Calendar
from calbridge.errors import Conflict, FieldError, ValidationProblem
from calbridge.event import repository
from calbridge.event.models import Event
from calbridge.scheduling import rules
from calbridge.timezones import load_timezone, utc_instant
from calbridge.workspace.models import Member, Workspace

if TYPE_CHECKING:
    from calbridge.event.conflicts import BusyTimeSource


@dataclass(frozen=True)
class Booking:
    """What a create or an update asks for, before any rule is checked."""

    calendar_id: int
    start_time: datetime  # as given: naive means local to the calendar
    end_time: datetime
    attendee_ids: list[int]
    privileged: bool = False  # calendars:admin or the admin panel: no notice/advance/cut-off


@dataclass(frozen=True)
class Current:
    """The event an update changes, as it is now (its time and calendar)."""

    event_id: int
    start_at: datetime
    end_at: datetime
    calendar: Calendar


@dataclass(frozen=True)
class CheckedBooking:
    calendar: Calendar
    start_at: datetime  # UTC
    end_at: datetime
    members: dict[int, Member]
    policy: rules.Policy
    # False: the calendar's own events are still to be checked, by the new event's INSERT.
    overlap_checked: bool

    @property
    def free_window(self) -> tuple[datetime, datetime]:
        """What must hold no other event of the calendar: the event, padded by its buffers."""
        return self.start_at - self.policy.padding, self.end_at + self.policy.padding


async def load_calendar(
    session: AsyncSession, workspace: Workspace, booking: Booking
) -> tuple[Calendar, dict[int, Member]]:
    """The booking's calendar and those of its attendees who exist, in one read that also takes
    the booking's locks (``repository.calendar_and_members``)."""
    calendar, members = await repository.calendar_and_members(
        session, workspace.id, booking.calendar_id, booking.attendee_ids
    )
    if calendar is None:
        raise ValidationProblem(
            "No such calendar in this workspace.", field="calendarId", code="calendar_not_found"
        )
    return calendar, members


def resolve(value: datetime, calendar: Calendar, field: str) -> datetime:
    return utc_instant(value, load_timezone(calendar.timezone), field)


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
    session: AsyncSession,
    workspace: Workspace,
    booking: Booking,
    *,
    busy_source: BusyTimeSource,
    current: Current | None = None,
) -> CheckedBooking:
    # Rule 1 names endTime first. Two naive (or two aware) times compare without the calendar's
    # zone (naive-to-UTC is monotonic where it is defined), so an inverted range is reported as
    # such even when the calendar is unknown too; mixed ones are compared once resolved.
    if (booking.start_time.tzinfo is None) == (booking.end_time.tzinfo is None):
        _check_order(booking.start_time, booking.end_time)
    calendar, members = await load_calendar(session, workspace, booking)
    start_at = resolve(booking.start_time, calendar, "startTime")
    end_at = resolve(booking.end_time, calendar, "endTime")
    _check_order(start_at, end_at)
    missing = [member_id for member_id in booking.attendee_ids if member_id not in members]
    if missing:
        raise ValidationProblem(
            f"No such member in this workspace: {', '.join(map(str, missing))}.",
            code="member_not_found",
            errors=[
                FieldError(field="attendeeIds", message=f"unknown member {m}") for m in missing
            ],
        )
    now = clock.now()
    moved = current is not None and (start_at, end_at) != (current.start_at, current.end_at)
    if moved and not booking.privileged:
        assert current is not None
        _refuse(rules.change_refusal(policy_of(current.calendar), current.start_at, now))
    # Notice and advance concern when a booking is placed: a create, a move, another calendar;
    # not a change of attendees of an event already placed.
    placing = current is None or moved or calendar.id != current.calendar.id

    if calendar.max_attendees is not None and len(booking.attendee_ids) > calendar.max_attendees:
        raise Conflict(
            f"This calendar allows at most {calendar.max_attendees} attendees.",
            code="attendee_limit_exceeded",
        )
    policy = policy_of(calendar)
    _refuse(
        rules.refusal(
            policy,
            start_at,
            end_at,
            now=now,
            busy=rules.BusyIndex([]),
            enforce_notice=placing and not booking.privileged,
        )
    )
    # A new event's overlap check is its INSERT (``repository.insert_event``), unless Google
    # is asked too: our own events come first (rule 4), and a local conflict is refused without
    # calling Google, so it is a 409 even while Google is down. (Allowing overlap, a calendar
    # has none to check.)
    check_now = calendar.allow_overlap or current is not None or calendar.google_conflict_check
    checked = CheckedBooking(calendar, start_at, end_at, members, policy, check_now)
    if check_now:
        exclude_id = None if current is None else current.event_id
        await refuse_overlap(session, checked, exclude_id=exclude_id)
    # Last, as it may call Google while the calendar's lock is held (see google_sync.busy).
    busy = await busy_source.busy(session, workspace, calendar, *checked.free_window)
    _refuse(rules.conflict_refusal(policy, rules.BusyIndex(busy), start_at, end_at))
    return checked


async def refuse_overlap(
    session: AsyncSession, checked: CheckedBooking, *, exclude_id: int | None = None
) -> None:
    """Rule 4 against the calendar's own events (none count when it allows overlap): 409
    slot_conflict, naming the event in the way."""
    if checked.calendar.allow_overlap:
        return
    start_at, end_at = checked.free_window
    local = [
        rules.Busy(start, end, found_id)
        for _, found_id, start, end in await repository.busy_between(
            session, [checked.calendar.id], start_at, end_at, exclude_id=exclude_id, limit=1
        )
    ]
    busy = rules.BusyIndex(local)
    _refuse(rules.conflict_refusal(checked.policy, busy, checked.start_at, checked.end_at))


def policy_of(calendar: Calendar) -> rules.Policy:
    return rules.Policy.of(calendar, load_timezone(calendar.timezone))


def check_change(event: Event, calendar: Calendar, *, privileged: bool) -> None:
    """Cancelling: 409 change_too_late inside the calendar's cancellation notice."""
    if not privileged:
        _refuse(rules.change_refusal(policy_of(calendar), event.start_at, clock.now()))


def _refuse(refusal: rules.Refusal | None) -> None:
    if refusal is not None:
        raise Conflict(refusal.detail, code=refusal.code)
