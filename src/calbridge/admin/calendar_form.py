"""The calendar form: from posted fields to the API's camelCase body, and from a calendar back
to what the form shows. The weekly editor posts parallel lists (``weekly_day``,
``weekly_start``, ``weekly_end``); each date exception posts ``exception_date`` and
``exception_windows`` ("10:00-14:00, 15:00-16:00", empty = closed that day)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from calbridge.admin.common import form_text
from calbridge.calendar.models import Calendar

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
BLANK_WEEKLY_ROWS = 3
BLANK_EXCEPTION_ROWS = 2
# Wire names of CalendarCreate/CalendarUpdate → the form's field names.
FIELDS = {
    "maxAttendees": "max_attendees",
    "allowOverlap": "allow_overlap",
    "minNoticeMinutes": "min_notice_minutes",
    "maxAdvanceDays": "max_advance_days",
    "bufferBeforeMinutes": "buffer_before_minutes",
    "bufferAfterMinutes": "buffer_after_minutes",
    "cancellationNoticeMinutes": "cancellation_notice_minutes",
}
# Booking policies: form field → wire name; empty means 0 (or, for the horizon, no limit).
POLICIES = {
    "min_notice_minutes": "minNoticeMinutes",
    "max_advance_days": "maxAdvanceDays",
    "buffer_before_minutes": "bufferBeforeMinutes",
    "buffer_after_minutes": "bufferAfterMinutes",
    "cancellation_notice_minutes": "cancellationNoticeMinutes",
}


class FormProblem(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _lists(form: FormData, *names: str) -> list[tuple[str, ...]]:
    columns = [[form_text(value, 100) for value in form.getlist(name)] for name in names]
    length = max((len(column) for column in columns), default=0)
    return [
        tuple(column[i] if i < len(column) else "" for column in columns) for i in range(length)
    ]


def read_form(form: FormData) -> dict[str, Any]:
    """What was typed, in the shape the template shows (so a refused form keeps its values)."""
    weekly = [
        {"day": day, "start": start, "end": end}
        for day, start, end in _lists(form, "weekly_day", "weekly_start", "weekly_end")
        if start or end
    ]
    exceptions = [
        {"date": date, "windows": windows}
        for date, windows in _lists(form, "exception_date", "exception_windows")
        if date or windows
    ]
    return {
        "name": form_text(form.get("name"), 300),
        "timezone": form_text(form.get("timezone"), 100),
        "description": form_text(form.get("description"), 11_000),
        "max_attendees": form_text(form.get("max_attendees"), 20),
        "allow_overlap": form.get("allow_overlap") == "on",
        **{name: form_text(form.get(name), 20) for name in POLICIES},
        "weekly": weekly,
        "exceptions": exceptions,
    }


def _windows(text: str) -> list[dict[str, str]]:
    windows = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        start, dash, end = part.partition("-")
        if not dash:
            raise FormProblem("availability", f"Write windows as 10:00-14:00, not {part!r}.")
        windows.append({"start": start.strip(), "end": end.strip()})
    return windows


def to_body(values: dict[str, Any]) -> dict[str, Any]:
    """The camelCase body the calendar schemas validate; raises FormProblem for what only the
    form can get wrong (a non-number limit, a badly written window)."""
    limit = values["max_attendees"]
    if limit and not limit.isdigit():
        raise FormProblem("max_attendees", "Give a whole number, or leave empty for no limit.")
    policies: dict[str, int | None] = {}
    for name, wire in POLICIES.items():
        text = values[name]
        if text and not (text.isascii() and text.isdigit()):
            raise FormProblem(name, "Give a whole number, or leave empty.")
        policies[wire] = int(text) if text else (None if wire == "maxAdvanceDays" else 0)
    availability = None
    if values["weekly"] or values["exceptions"]:
        availability = {
            "weekly": values["weekly"],
            "exceptions": [
                {"date": item["date"], "windows": _windows(item["windows"])}
                for item in values["exceptions"]
            ],
        }
    return {
        "name": values["name"],
        "timezone": values["timezone"],
        "description": values["description"] or None,
        "maxAttendees": int(limit) if limit else None,
        "allowOverlap": values["allow_overlap"],
        "availability": availability,
        **policies,
    }


def from_calendar(calendar: Calendar) -> dict[str, Any]:
    availability = calendar.availability or {}
    return {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "description": calendar.description or "",
        "max_attendees": "" if calendar.max_attendees is None else str(calendar.max_attendees),
        "allow_overlap": calendar.allow_overlap,
        **{
            name: "" if getattr(calendar, name) is None else str(getattr(calendar, name))
            for name in POLICIES
        },
        "weekly": list(availability.get("weekly", [])),
        "exceptions": [
            {
                "date": item["date"],
                "windows": ", ".join(f"{w['start']}-{w['end']}" for w in item.get("windows", [])),
            }
            for item in availability.get("exceptions", [])
        ],
    }


def blank_form(timezone: str) -> dict[str, Any]:
    return {
        "name": "",
        "timezone": timezone,
        "description": "",
        "max_attendees": "",
        "allow_overlap": False,
        **{name: "" for name in POLICIES},
        "weekly": [],
        "exceptions": [],
    }


def with_blank_rows(values: dict[str, Any]) -> dict[str, Any]:
    """Adds empty editor rows so that windows can be added without JavaScript."""
    blank_weekly = [{"day": "monday", "start": "", "end": ""}] * BLANK_WEEKLY_ROWS
    blank_exceptions = [{"date": "", "windows": ""}] * BLANK_EXCEPTION_ROWS
    return {
        **values,
        "weekly": values["weekly"] + blank_weekly,
        "exceptions": values["exceptions"] + blank_exceptions,
    }
