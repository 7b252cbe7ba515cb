"""The calendar form: from posted fields to the API's camelCase body, and from a calendar back
to what the form shows. The availability editor is ``admin/availability_form.py``."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from calbridge.admin.availability_form import AvailabilityForm, row_error
from calbridge.admin.common import form_text
from calbridge.calendar.models import Calendar
from calbridge.errors import CalbridgeError, ValidationProblem

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


def read_form(form: FormData) -> dict[str, Any]:
    """What was typed, in the shape the template shows (so a refused form keeps its values)."""
    return {
        "name": form_text(form.get("name"), 300),
        "timezone": form_text(form.get("timezone"), 100),
        "description": form_text(form.get("description"), 11_000),
        "max_attendees": form_text(form.get("max_attendees"), 20),
        "allow_overlap": form.get("allow_overlap") == "on",
        **{name: form_text(form.get(name), 20) for name in POLICIES},
        "availability": AvailabilityForm.of_post(form),
    }


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
    availability, _, _ = values["availability"].body()
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
        "availability": AvailabilityForm.of_availability(calendar.availability),
    }


def blank_form(timezone: str) -> dict[str, Any]:
    return {
        "name": "",
        "timezone": timezone,
        "description": "",
        "max_attendees": "",
        "allow_overlap": False,
        **{name: "" for name in POLICIES},
        "availability": AvailabilityForm(),
    }


def _located(error: Exception) -> list[tuple[list[str], str]]:
    """(location, message) of each field error of the schema or of the service."""
    if isinstance(error, ValidationError):
        return [([str(part) for part in item["loc"]], str(item["msg"])) for item in error.errors()]
    if isinstance(error, ValidationProblem):
        return [(item.field.split("."), item.message) for item in error.errors]
    return []


def form_errors(error: Exception, editor: AvailabilityForm) -> dict[str, str]:
    """Messages by form field, the availability's on the row they belong to."""
    if isinstance(error, FormProblem):
        return {error.field: str(error)}
    _, weekly_keys, _ = editor.body()
    errors: dict[str, str] = {}
    located = _located(error)
    for location, message in located:
        if location[0] == "availability":
            key, text = row_error(location[1:], message, weekly_keys)
        else:
            key = FIELDS.get(location[0], location[0])
            text = message.removeprefix("Value error, ")
        errors.setdefault(key, text)
    if not located and isinstance(error, CalbridgeError):
        errors["_form"] = error.detail
    duplicates = editor.duplicate_dates()
    if duplicates:
        errors.pop("availability", None)  # said on the repeated date's row instead
    return errors | duplicates
