"""When a calendar can be booked, as one pure function (no I/O, ``now`` passed in).

:func:`refusal` says which time rule a booking of ``[start, end)`` breaks first, in the
contract's order (CONTRACT §3.3, after the body and the attendee limit):

    2a. notice and advance   409 notice_too_short, 409 too_far_in_advance (skipped for admins)
    3.  availability         409 outside_availability (the detail names the day's windows)
    4.  overlap, buffers in  409 slot_conflict (the detail names the conflicting event)

:func:`free_slots` lists the step-grid candidates of a range that :func:`refusal` lets through.
The booking check (``event.booking``) and the slots endpoint both call :func:`refusal`, so a
slot is listed if and only if booking it would succeed.

**Buffers.** CONTRACT §3.1: an event ``[s, e)`` keeps ``[s - before, e + after)`` free of the
calendar's other events. Applied to every pair of events (the new one's buffers must be free of
the old one, and the old one's of the new), two events conflict exactly when they come closer
than ``max(before, after)``: so busy time is padded by that much on both sides. Google busy
time (``googleConflictCheck``) is padded the same way; it is busy time like any event.

**The grid.** Candidates start at the beginning of each window of each local date (local
midnight without availability) and every ``step`` after it, in elapsed time, while they end
inside that window. Across a DST change the grid thus stays anchored at the window's local start
and never produces a time that does not exist or the same instant twice.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from calbridge.calendar.availability import Availability, Window, covers, day_windows

Interval = tuple[datetime, datetime]


class CalendarPolicies(Protocol):
    timezone: str
    availability: dict[str, object] | None
    allow_overlap: bool
    min_notice_minutes: int
    max_advance_days: int | None
    buffer_before_minutes: int
    buffer_after_minutes: int
    cancellation_notice_minutes: int


@dataclass(frozen=True)
class Busy:
    """Busy time of a calendar: one of its events (``event_id``) or Google busy time (None)."""

    start_at: datetime
    end_at: datetime
    event_id: int | None = None


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str


@dataclass(frozen=True)
class Policy:
    """What the time rules need to know of a calendar."""

    availability: Availability | None
    tz: ZoneInfo
    min_notice: timedelta
    max_advance: timedelta | None
    padding: timedelta  # max(bufferBefore, bufferAfter), see the module's docstring
    cancellation_notice: timedelta

    @classmethod
    def of(cls, calendar: CalendarPolicies, tz: ZoneInfo) -> Policy:
        return cls(
            availability=(
                None
                if calendar.availability is None
                else Availability.from_json(calendar.availability)
            ),
            tz=tz,
            min_notice=timedelta(minutes=calendar.min_notice_minutes),
            max_advance=(
                None
                if calendar.max_advance_days is None
                else timedelta(days=calendar.max_advance_days)
            ),
            padding=timedelta(
                minutes=max(calendar.buffer_before_minutes, calendar.buffer_after_minutes)
            ),
            cancellation_notice=timedelta(minutes=calendar.cancellation_notice_minutes),
        )


class BusyIndex:
    """Busy intervals sorted by start, with the running maximum of their ends, so "does any of
    them meet [lo, hi)?" is one binary search however many there are."""

    def __init__(self, busy: Iterable[Busy]) -> None:
        self._busy = sorted(busy, key=lambda b: (b.start_at, b.end_at))
        self._starts = [b.start_at for b in self._busy]
        self._max_end: list[datetime] = []
        for item in self._busy:
            last = self._max_end[-1] if self._max_end else item.end_at
            self._max_end.append(max(last, item.end_at))

    def __len__(self) -> int:
        return len(self._busy)

    def meeting(self, lo: datetime, hi: datetime) -> Busy | None:
        """One busy interval that shares an instant with ``[lo, hi)``, or None."""
        count = bisect.bisect_left(self._starts, hi)  # those starting before hi
        if count == 0 or self._max_end[count - 1] <= lo:
            return None
        # The first whose running maximum end passes lo is itself the one that ends so late.
        first = bisect.bisect_right(self._max_end, lo, 0, count)
        return self._busy[first]


def timing_refusal(policy: Policy, start_at: datetime, now: datetime) -> Refusal | None:
    """Rule 2a: minimum notice, then the booking horizon (both about the start)."""
    if policy.min_notice and start_at < now + policy.min_notice:
        return Refusal(
            "notice_too_short",
            f"Bookings need {_minutes(policy.min_notice)} of notice; the earliest start now is "
            f"{(now + policy.min_notice).astimezone(policy.tz).isoformat()}.",
        )
    if policy.max_advance is not None and start_at > now + policy.max_advance:
        return Refusal(
            "too_far_in_advance",
            f"Bookings may start at most {_days(policy.max_advance)} ahead; the latest "
            f"start now is {(now + policy.max_advance).astimezone(policy.tz).isoformat()}.",
        )
    return None


def availability_refusal(policy: Policy, start_at: datetime, end_at: datetime) -> Refusal | None:
    """Rule 3; the detail names the open windows of the start's local date."""
    if covers(policy.availability, policy.tz, start_at, end_at):
        return None
    day = start_at.astimezone(policy.tz).date()
    windows = [window for window, _ in day_windows(policy.availability, policy.tz, day)]
    opening = (
        "closed all day"
        if not windows
        else "open " + ", ".join(_window_text(window) for window in windows)
    )
    return Refusal(
        "outside_availability",
        f"The event lies outside the calendar's availability: {day.strftime('%A')} "
        f"{day.isoformat()} is {opening} ({policy.tz.key}).",
    )


def conflict_refusal(
    policy: Policy, busy: BusyIndex, start_at: datetime, end_at: datetime
) -> Refusal | None:
    """Rule 4: no busy time closer than the buffers allow."""
    clash = busy.meeting(start_at - policy.padding, end_at + policy.padding)
    if clash is None:
        return None
    if clash.event_id is None:
        return Refusal("slot_conflict", "The slot is busy in the linked Google calendar.")
    near = " or is too close to it for the calendar's buffers" if policy.padding else ""
    return Refusal(
        "slot_conflict", f"The slot is already booked: it overlaps event {clash.event_id}{near}."
    )


def refusal(
    policy: Policy,
    start_at: datetime,
    end_at: datetime,
    *,
    now: datetime,
    busy: BusyIndex,
    enforce_notice: bool = True,
) -> Refusal | None:
    """The first time rule ``[start_at, end_at)`` breaks, or None. ``busy`` holds what counts
    as busy for this calendar (empty when it allows overlap and has no Google check)."""
    if enforce_notice:
        found = timing_refusal(policy, start_at, now)
        if found is not None:
            return found
    return availability_refusal(policy, start_at, end_at) or conflict_refusal(
        policy, busy, start_at, end_at
    )


def change_refusal(policy: Policy, start_at: datetime, now: datetime) -> Refusal | None:
    """Cancelling, or moving the time of, an event that starts sooner than the calendar's
    cancellation notice (an event that has begun included)."""
    if policy.cancellation_notice and start_at < now + policy.cancellation_notice:
        return Refusal(
            "change_too_late",
            f"Events of this calendar can be cancelled or moved up to "
            f"{_minutes(policy.cancellation_notice)} before they start.",
        )
    return None


def candidates(
    policy: Policy, lo: datetime, hi: datetime, duration: timedelta, step: timedelta
) -> list[Interval]:
    """The step-grid candidates inside ``[lo, hi)``, in start order, each once."""
    first = lo.astimezone(policy.tz).date() - timedelta(days=1)
    last = hi.astimezone(policy.tz).date()
    found: set[Interval] = set()
    for day in _dates(first, last):
        for _, (w_lo, w_hi) in day_windows(policy.availability, policy.tz, day):
            start = w_lo
            if start < lo:  # skip ahead on the window's own grid
                start += step * -((w_lo - lo) // step)
            while start + duration <= w_hi and start + duration <= hi:
                found.add((start, start + duration))
                start += step
    return sorted(found)


def free_slots(
    policy: Policy,
    lo: datetime,
    hi: datetime,
    *,
    duration: timedelta,
    step: timedelta,
    now: datetime,
    busy: BusyIndex,
) -> Iterator[Interval]:
    """The candidates a booking without admin scope, made at ``now``, would get."""
    for start_at, end_at in candidates(policy, lo, hi, duration, step):
        if refusal(policy, start_at, end_at, now=now, busy=busy) is None:
            yield start_at, end_at


def merge(intervals: Sequence[Interval]) -> list[Interval]:
    """Sorted, with overlapping and touching intervals joined (free/busy)."""
    merged: list[Interval] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _window_text(window: Window) -> str:
    end = "24:00" if window.end is None else window.end.strftime("%H:%M")
    return f"{window.start.strftime('%H:%M')}-{end}"


def _days(span: timedelta) -> str:
    return f"{span.days} day{'s' if span.days != 1 else ''}"


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
