"""Pure translation between Google Calendar events and the account calendar API's bodies."""

from __future__ import annotations

import math
from typing import Any

from calbridge.google.schemas import (
    CreateEntry,
    EntryAttendee,
    EntryDetail,
    EntrySummary,
    EntryTime,
    PageMeta,
)


def entry_time(value: Any) -> str | None:
    """Google's ``{"date"}`` (all-day: the date) or ``{"dateTime"}`` (with its offset)."""
    if not isinstance(value, dict):
        return None
    found = value.get("date") or value.get("dateTime")
    return str(found) if found else None


def _text(event: dict[str, Any], name: str) -> str | None:
    value = event.get(name)
    return str(value) if value else None


def entry_summary(event: dict[str, Any]) -> EntrySummary:
    return EntrySummary(
        id=str(event["id"]),
        title=_text(event, "summary"),
        start=entry_time(event.get("start")),
        end=entry_time(event.get("end")),
        location=_text(event, "location"),
    )


def entry_detail(event: dict[str, Any]) -> EntryDetail:
    attendees = [
        EntryAttendee(
            email=attendee.get("email"),
            name=attendee.get("displayName"),
            response_status=attendee.get("responseStatus"),
        )
        for attendee in event.get("attendees", [])
        if isinstance(attendee, dict)
    ]
    return EntryDetail(
        id=str(event["id"]),
        title=_text(event, "summary"),
        description=_text(event, "description"),
        start=entry_time(event.get("start")),
        end=entry_time(event.get("end")),
        location=_text(event, "location"),
        attendees=attendees,
        html_link=_text(event, "htmlLink"),
    )


def _google_time(time: EntryTime) -> dict[str, str]:
    body = {"dateTime": time.dateTime}
    if time.timeZone:
        body["timeZone"] = time.timeZone
    return body


def insert_body(entry: CreateEntry) -> dict[str, Any]:
    body: dict[str, Any] = {
        "summary": entry.summary,
        "start": _google_time(entry.start),
        "end": _google_time(entry.end),
    }
    if entry.description is not None:
        body["description"] = entry.description
    if entry.location is not None:
        body["location"] = entry.location
    return body


def page_meta(total: int, page: int, per_page: int) -> PageMeta:
    """Pagination in the contract's (Laravel-like) shape: ``last_page`` is at least 1."""
    return PageMeta(
        current_page=page,
        last_page=max(1, math.ceil(total / per_page)),
        per_page=per_page,
        total=total,
    )
