"""The availability editor of the calendar form: each weekday with an on/off switch and its
own rows of hours, and date exceptions with a date and their own rows (none: closed all day).

Posted fields: ``availability`` (``always`` or ``hours``), ``open-<day>``, ``<day>-start`` and
``<day>-end`` (one of each per row), and per exception ``exception-<k>-date``,
``exception-<k>-start``, ``exception-<k>-end``. Rows are added, removed and copied by
``admin/static/editor.js`` in the page; without JavaScript the same buttons post the form with
``edit`` (e.g. ``add:monday``) and the page comes back with that change made and nothing saved.

Errors are keyed by row: ``weekly-<day>-<i>``, ``weekly-<day>``, ``exception-<k>`` (its date)
and ``exception-<k>-<i>``; ``row_errors`` maps the schema's and the service's locations
(``availability.weekly.3.end``) onto them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from calbridge.admin.common import form_text

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS = DAYS[:5]
_EXCEPTION_DATE = re.compile(r"^exception-(\d{1,4})-date$")
_LABELS = {"start": "From", "end": "To", "date": "Date"}


@dataclass
class Hours:
    start: str = ""
    end: str = ""

    @property
    def blank(self) -> bool:
        return not self.start and not self.end

    def wire(self) -> dict[str, str]:
        return {"start": self.start, "end": self.end}


@dataclass
class Day:
    name: str
    open: bool = False
    hours: list[Hours] = field(default_factory=list)


@dataclass
class DateException:
    date: str = ""
    hours: list[Hours] = field(default_factory=list)


@dataclass
class AvailabilityForm:
    """What the editor shows; ``limited`` is off for "bookable at any time"."""

    limited: bool = False
    days: list[Day] = field(default_factory=lambda: [Day(name) for name in DAYS])
    exceptions: list[DateException] = field(default_factory=list)

    def day(self, name: str) -> Day:
        return next(day for day in self.days if day.name == name)

    @classmethod
    def of_availability(cls, availability: dict[str, Any] | None) -> AvailabilityForm:
        form = cls(limited=availability is not None)
        for window in (availability or {}).get("weekly", []):
            day = form.day(window["day"])
            day.open = True
            day.hours.append(Hours(window["start"], window["end"]))
        form.exceptions = [
            DateException(item["date"], [Hours(w["start"], w["end"]) for w in item["windows"]])
            for item in (availability or {}).get("exceptions", [])
        ]
        return form

    @classmethod
    def of_post(cls, form: FormData) -> AvailabilityForm:
        """What was typed; rows left wholly empty are dropped."""
        days = [Day(name, form.get(f"open-{name}") == "on", _hours(form, name)) for name in DAYS]
        keys = sorted(int(match[1]) for name in form if (match := _EXCEPTION_DATE.match(str(name))))
        exceptions = [
            DateException(
                form_text(form.get(f"exception-{k}-date"), 20), _hours(form, f"exception-{k}")
            )
            for k in keys
        ]
        return cls(
            limited=form.get("availability") == "hours",
            days=days,
            exceptions=[item for item in exceptions if item.date or item.hours],
        )

    def edit(self, command: str) -> None:
        """One editing step of a form posted without JavaScript (the ``edit`` button)."""
        verb, _, target = command.partition(":")
        where, _, index = target.partition(":")
        rows = self._rows(where)
        if verb == "add" and where == "exception":
            self.exceptions.append(DateException())
        elif verb == "add" and rows is not None:
            rows.append(Hours())
        elif verb == "remove" and rows is not None and index.isdigit() and int(index) < len(rows):
            del rows[int(index)]
        elif verb == "remove-exception" and where.isdigit() and int(where) < len(self.exceptions):
            del self.exceptions[int(where)]
        elif verb == "copy" and where in DAYS:
            self.copy_to_weekdays(where)
        if verb == "add" and where in DAYS:
            self.day(where).open = True
        self.limited = True

    def copy_to_weekdays(self, source: str) -> None:
        """Monday to Friday get the hours (and the on/off) of ``source``."""
        origin = self.day(source)
        for name in WEEKDAYS:
            day = self.day(name)
            day.open = origin.open
            day.hours = [Hours(row.start, row.end) for row in origin.hours]

    def _rows(self, where: str) -> list[Hours] | None:
        if where in DAYS:
            return self.day(where).hours
        prefix, _, k = where.partition("-")
        if prefix == "exception" and k.isdigit() and int(k) < len(self.exceptions):
            return self.exceptions[int(k)].hours
        return None

    def body(self) -> tuple[dict[str, Any] | None, list[str], dict[str, str]]:
        """The API's ``availability`` (None: at any time), the row key of each weekly window
        in it (for errors), and what only the form can get wrong (an open day with no hours)."""
        if not self.limited:
            return None, [], {}
        weekly: list[dict[str, str]] = []
        keys: list[str] = []
        problems: dict[str, str] = {}
        for day in self.days:
            if not day.open:
                continue
            if not day.hours:
                problems[f"weekly-{day.name}"] = (
                    f"{day.name.capitalize()} is on but has no hours: add hours or turn it off."
                )
            for i, row in enumerate(day.hours):
                weekly.append({"day": day.name, **row.wire()})
                keys.append(f"weekly-{day.name}-{i}")
        exceptions = [
            {"date": item.date, "windows": [row.wire() for row in item.hours]}
            for item in self.exceptions
        ]
        return {"weekly": weekly, "exceptions": exceptions}, keys, problems

    def duplicate_dates(self) -> dict[str, str]:
        seen: set[str] = set()
        found = {}
        for k, item in enumerate(self.exceptions):
            if item.date in seen:
                found[f"exception-{k}"] = f"{item.date} already has an exception above."
            seen.add(item.date)
        return found


def _hours(form: FormData, prefix: str) -> list[Hours]:
    starts = [form_text(value, 10) for value in form.getlist(f"{prefix}-start")]
    ends = [form_text(value, 10) for value in form.getlist(f"{prefix}-end")]
    rows = [Hours(start, end) for start, end in zip(starts, ends, strict=False)]
    return [row for row in rows if not row.blank]


def row_error(location: list[str], message: str, weekly_keys: list[str]) -> tuple[str, str]:
    """The row key and the plain sentence for an error at ``location`` (the wire's path,
    starting after ``availability``)."""
    message = message.removeprefix("Value error, ")
    part = location[-1] if location and location[-1] in _LABELS else None
    steps = location[:-1] if part else location
    key = "availability"
    if len(steps) >= 2 and steps[0] == "weekly" and steps[1].isdigit():
        index = int(steps[1])
        key = weekly_keys[index] if index < len(weekly_keys) else key
    elif len(steps) >= 2 and steps[0] == "exceptions" and steps[1].isdigit():
        key = f"exception-{steps[1]}"
        if len(steps) >= 4 and steps[2] == "windows":
            key += f"-{steps[3]}"
    text = f"{_LABELS[part]} {message}" if part else message[:1].upper() + message[1:]
    return key, text if text.endswith(".") else f"{text}."
