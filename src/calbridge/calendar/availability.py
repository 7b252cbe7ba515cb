"""When a calendar can be booked: weekly wall-clock windows plus per-date exceptions.

Pure functions, no I/O. Windows are wall-clock times in the calendar's time zone on each local
date, so a 09:00-17:00 window is 09:00-17:00 local on both sides of a DST change. Each window of
a date becomes the UTC interval ``[local_to_utc_lenient(date, start), local_to_utc_lenient(date,
end))`` (``24:00`` = ``00:00`` of the next date); see :mod:`calbridge.timezones` for what happens
to edges that fall in a DST gap (moved forward by the gap) or fold (first occurrence). The open
time of a calendar is the union of these intervals over all dates; intervals that touch join, so
an event may cross midnight when both sides are open.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from calbridge.timezones import local_to_utc_lenient

__all__ = [
    "ALL_DAY",
    "Availability",
    "Window",
    "covers",
    "day_windows",
    "free_windows",
    "overlaps",
    "parse_clock",
]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")

Interval = tuple[datetime, datetime]


def parse_clock(text: str, *, allow_24: bool) -> time | None:
    """'HH:MM' (00:00-23:59) -> time; '24:00' -> None when ``allow_24`` else ValueError.

    Anything else (seconds, one-digit hours, non-ASCII digits, surrounding spaces) -> ValueError.
    """
    if text == "24:00":
        if allow_24:
            return None
        raise ValueError("24:00 is only allowed as the end of a window")
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected a time as HH:MM, got {text!r}")
    return time(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class Window:
    """Wall-clock window ``[start, end)`` on one local date; ``end=None`` means 24:00."""

    start: time
    end: time | None

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or (self.end is not None and self.end.tzinfo is not None):
            raise ValueError("window times are wall-clock times and must be naive")
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"window end {self.end} is not after its start {self.start}")


@dataclass(frozen=True)
class Availability:
    """Weekly windows (0 = Monday ... 6 = Sunday) and per-date exceptions.

    An exception replaces that date's weekly windows; an empty tuple closes the date.
    """

    weekly: Mapping[int, tuple[Window, ...]]
    exceptions: Mapping[date, tuple[Window, ...]]

    def windows_on(self, day: date) -> tuple[Window, ...]:
        """The windows in effect on a local date."""
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(day.weekday(), ())

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Availability:
        """Build from the contract's (already validated) JSON shape.

        ``{"weekly": [{"day": "monday", "start": "09:00", "end": "17:00"}], "exceptions":
        [{"date": "2026-12-24", "windows": [{"start": "10:00", "end": "14:00"}]}]}``;
        ``"24:00"`` as end becomes None. Several windows per day (and several exception entries
        for one date) accumulate; windows are kept sorted by start.
        """
        weekly: dict[int, list[Window]] = {}
        for item in data.get("weekly") or ():
            day = WEEKDAYS.index(str(item["day"]).lower())
            weekly.setdefault(day, []).append(_window_from_json(item))
        exceptions: dict[date, list[Window]] = {}
        for item in data.get("exceptions") or ():
            windows = exceptions.setdefault(date.fromisoformat(item["date"]), [])
            windows.extend(_window_from_json(w) for w in item.get("windows") or ())
        return cls(
            weekly={day: _sorted(ws) for day, ws in weekly.items()},
            exceptions={day: _sorted(ws) for day, ws in exceptions.items()},
        )


def _window_from_json(item: Mapping[str, Any]) -> Window:
    start = parse_clock(item["start"], allow_24=False)
    assert start is not None  # allow_24=False never yields None
    return Window(start=start, end=parse_clock(item["end"], allow_24=True))


def _sorted(windows: list[Window]) -> tuple[Window, ...]:
    return tuple(sorted(windows, key=lambda w: (w.start, w.end is None, w.end or time.min)))


def _require_aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    return value.astimezone(UTC)


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        if day == date.max:
            return
        day += timedelta(days=1)


def _shift(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.min if days < 0 else date.max


def _window_interval(day: date, window: Window, tz: ZoneInfo) -> Interval:
    start_at = local_to_utc_lenient(day, window.start, tz)
    if window.end is not None:
        return start_at, local_to_utc_lenient(day, window.end, tz)
    if day == date.max:
        return start_at, datetime.max.replace(tzinfo=UTC)
    return start_at, local_to_utc_lenient(day + timedelta(days=1), time(0), tz)


ALL_DAY = Window(start=time(0), end=None)


def day_windows(
    availability: Availability | None, tz: ZoneInfo, day: date
) -> list[tuple[Window, Interval]]:
    """The windows of one local date with their UTC intervals, in start order; a calendar
    without availability has one window, 00:00-24:00. Windows made empty by a DST gap (both
    edges in it) are left out."""
    windows = (ALL_DAY,) if availability is None else availability.windows_on(day)
    result = []
    for window in windows:
        lo, hi = _window_interval(day, window, tz)
        if lo < hi:
            result.append((window, (lo, hi)))
    return result


def free_windows(
    availability: Availability | None, tz: ZoneInfo, start_at: datetime, end_at: datetime
) -> list[Interval]:
    """The open time within ``[start_at, end_at)`` as sorted, merged UTC intervals.

    Intervals are clipped to the query range; intervals that overlap or touch are merged (so a
    Monday 20:00-24:00 window and a Tuesday 00:00-04:00 window give one interval). ``None``
    availability is open all the time. An empty or reversed query range gives ``[]``; naive
    datetimes raise ValueError.
    """
    lo = _require_aware(start_at, "start_at")
    hi = _require_aware(end_at, "end_at")
    if lo >= hi:
        return []
    if availability is None:
        return [(lo, hi)]
    # A window of date d covers instants whose local date is d, or d + 1 when a gap pushes its
    # end forward; around a fall-back across midnight the local date of later instants can also
    # step back by one. Two days of margin before and one after cover both.
    first = _shift(lo.astimezone(tz).date(), -2)
    last = _shift(hi.astimezone(tz).date(), 1)
    pieces: list[Interval] = []
    for day in _dates(first, last):
        for window in availability.windows_on(day):
            w_lo, w_hi = _window_interval(day, window, tz)
            # A window whose both edges fall in one gap, or whose start is pushed past its end,
            # is empty.
            w_lo, w_hi = max(w_lo, lo), min(w_hi, hi)
            if w_lo < w_hi:
                pieces.append((w_lo, w_hi))
    pieces.sort()
    merged: list[Interval] = []
    for p_lo, p_hi in pieces:
        if merged and p_lo <= merged[-1][1]:
            if p_hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], p_hi)
        else:
            merged.append((p_lo, p_hi))
    return merged


def covers(
    availability: Availability | None, tz: ZoneInfo, start_at: datetime, end_at: datetime
) -> bool:
    """True when the event ``[start_at, end_at)`` (aware instants) lies inside the open time.

    ``None`` availability is always open. The interval is half-open: an event may end exactly
    when a window ends. It may cross midnight (or any window boundary) only where the windows on
    both sides touch. Raises ValueError for naive datetimes or when ``end_at <= start_at``.
    """
    lo = _require_aware(start_at, "start_at")
    hi = _require_aware(end_at, "end_at")
    if hi <= lo:
        raise ValueError("end_at must be after start_at")
    if availability is None:
        return True
    return free_windows(availability, tz, lo, hi) == [(lo, hi)]


def _minutes(clock: str) -> int:
    return 24 * 60 if clock == "24:00" else int(clock[:2]) * 60 + int(clock[3:])


def _first_overlaps(windows: list[tuple[str, Mapping[str, Any]]]) -> list[tuple[str, str]]:
    """``(path, window)`` pairs in order → ``(path, message)`` for each window that shares an
    instant with an earlier one (touching, 09:00-12:00 then 12:00-17:00, is no overlap)."""
    seen: list[tuple[int, int, str]] = []
    found = []
    for path, window in windows:
        start, end = _minutes(window["start"]), _minutes(window["end"])
        other = next((text for lo, hi, text in seen if lo < end and start < hi), None)
        if other is not None:
            found.append((path, f"overlaps the window {other} of the same day"))
        seen.append((start, end, f"{window['start']}-{window['end']}"))
    return found


def overlaps(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Windows of one weekday, or of one exception date, that overlap an earlier one: the
    ``availability.…`` path of each later window and why. Takes the contract's (already
    validated) JSON shape."""
    weekly = list(enumerate(data.get("weekly") or ()))
    found: list[tuple[str, str]] = []
    for day in WEEKDAYS:
        found += _first_overlaps(
            [(f"availability.weekly.{i}", w) for i, w in weekly if w["day"] == day]
        )
    found.sort(key=lambda item: int(item[0].rsplit(".", 1)[1]))
    for k, item in enumerate(data.get("exceptions") or ()):
        found += _first_overlaps(
            [
                (f"availability.exceptions.{k}.windows.{i}", w)
                for i, w in enumerate(item.get("windows") or ())
            ]
        )
    return found
