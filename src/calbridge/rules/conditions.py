"""Rule conditions, evaluated against an event's JSON (EventResponse, camelCase). Pure.

Every condition reads the event as it is after the change (as it was, for a deletion). Times are
compared in the calendar's time zone (the event's ``timezone``), so "weekday is Monday" and
"starts between 09:00 and 12:00" mean what the calendar's people see on their wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from calbridge.timezones import load_timezone

EventJSON = dict[str, Any]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _start(event: EventJSON) -> datetime:
    return datetime.fromisoformat(event["startTime"])


def _local_start(event: EventJSON) -> datetime:
    return _start(event).astimezone(load_timezone(event["timezone"]))


def _compare(op: str, actual: float, wanted: float) -> bool:
    return actual >= wanted if op == "gte" else actual <= wanted


def _title(condition: dict[str, Any], event: EventJSON, _now: datetime) -> bool:
    title, wanted = str(event["title"]), str(condition["value"])
    if not condition.get("caseSensitive", False):
        title, wanted = title.casefold(), wanted.casefold()
    return wanted in title if condition["op"] == "contains" else title == wanted


def _status(condition: dict[str, Any], event: EventJSON, _now: datetime) -> bool:
    return bool(event["status"] == condition["value"])


def _duration(condition: dict[str, Any], event: EventJSON, _now: datetime) -> bool:
    minutes = (datetime.fromisoformat(event["endTime"]) - _start(event)) / timedelta(minutes=1)
    return _compare(condition["op"], minutes, condition["value"])


def _attendee_count(condition: dict[str, Any], event: EventJSON, _now: datetime) -> bool:
    return _compare(condition["op"], len(event["attendees"]), condition["value"])


def _start_within(condition: dict[str, Any], event: EventJSON, now: datetime) -> bool:
    start = _start(event)
    return now <= start <= now + timedelta(hours=condition["value"])


def _weekday(condition: dict[str, Any], event: EventJSON, _now: datetime) -> bool:
    return WEEKDAYS[_local_start(event).weekday()] in condition["value"]


def _parse_time(text: str) -> time:
    return time.max if text == "24:00" else time.fromisoformat(text)


def _local_time(condition: dict[str, Any], event: EventJSON, _now: datetime) -> bool:
    """``start`` ≤ local start time < ``end``; a window with start after end wraps midnight."""
    at = _local_start(event).time().replace(tzinfo=None)
    start = _parse_time(condition["value"]["start"])
    end = _parse_time(condition["value"]["end"])
    if start <= end:
        return start <= at < end
    return at >= start or at < end


def _metadata(condition: dict[str, Any], event: EventJSON, _now: datetime) -> bool:
    metadata = event.get("metadata") or {}
    if condition["key"] not in metadata:
        return False
    value, wanted = metadata[condition["key"]], condition["value"]
    # JSON true is not 1: compare types too, except between ints and floats.
    if isinstance(value, bool) or isinstance(wanted, bool):
        return type(value) is type(wanted) and value == wanted
    return bool(value == wanted)


_CHECKS: dict[str, Callable[[dict[str, Any], EventJSON, datetime], bool]] = {
    "title": _title,
    "status": _status,
    "durationMinutes": _duration,
    "attendeeCount": _attendee_count,
    "startTime": _start_within,
    "weekday": _weekday,
    "localTime": _local_time,
    "metadata": _metadata,
}


def holds(condition: dict[str, Any], event: EventJSON, now: datetime) -> bool:
    """Whether one condition (its stored JSON) holds for the event at ``now``."""
    return _CHECKS[condition["field"]](condition, event, now)
