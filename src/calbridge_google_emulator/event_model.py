"""The event resource: checking what a client sends and writing what Google returns.

Pure functions, no state. `normalize` validates a request body the way Google does and
returns the stored form plus the event's UTC bounds; `render` builds the resource.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from calbridge_google_emulator import errors
from calbridge_google_emulator.state import Calendar, StoredEvent
from calbridge_google_emulator.times import (
    format_datetime,
    format_timestamp,
    parse_date,
    parse_local,
    start_of_day,
    zone,
)

READ_ONLY = ("kind", "etag", "id", "htmlLink", "created", "updated", "creator", "organizer",
             "iCalUID", "sequence", "eventType")  # fmt: skip
STATUSES = ("confirmed", "tentative", "cancelled")
RESPONSE_STATUSES = ("needsAction", "declined", "tentative", "accepted")
REPLACED_ON_PATCH = ("start", "end", "attendees")


@dataclass
class Normalized:
    body: dict[str, Any]
    status: str
    start_at: datetime
    end_at: datetime


def normalize(raw: object, calendar: Calendar) -> Normalized:
    """Validate a full event body (insert/update, or a patch merged onto the old body)."""
    if not isinstance(raw, dict):
        raise errors.ApiError(400, "parseError", "Parse Error")
    body = {k: v for k, v in raw.items() if k not in READ_ONLY and v is not None}
    status = body.pop("status", "confirmed")
    if status not in STATUSES:
        raise errors.invalid("Invalid Value", "status")
    for key in ("start", "end"):
        if not isinstance(body.get(key), dict):
            raise errors.required(f"Missing {key} time.")
    start_kind, start_at = _instant(body["start"], "start", calendar)
    end_kind, end_at = _instant(body["end"], "end", calendar)
    if start_kind != end_kind:
        raise errors.invalid("Start and end times must either both be date or both be dateTime.")
    if end_at < start_at or (start_kind == "date" and end_at == start_at):
        raise errors.time_range_empty("end")
    for key in ("summary", "description", "location"):
        if key in body and not isinstance(body[key], str):
            raise errors.invalid("Invalid Value", key)
    if body.get("transparency", "opaque") not in ("opaque", "transparent"):
        raise errors.invalid("Invalid Value", "transparency")
    if "attendees" in body:
        body["attendees"] = _attendees(body["attendees"], calendar)
    if "extendedProperties" in body:
        _check_extended_properties(body["extendedProperties"])
    return Normalized(body, status, start_at, end_at)


def _instant(value: dict[str, Any], which: str, calendar: Calendar) -> tuple[str, datetime]:
    """Return ("date"|"dateTime", UTC instant). All-day dates start at midnight in the zone."""
    tz_name = value.get("timeZone")
    try:
        tz = zone(tz_name) if tz_name else zone(calendar.time_zone)
    except ValueError:
        raise errors.invalid(f"Invalid time zone definition for {which} time.") from None
    if "date" in value and "dateTime" not in value:
        try:
            return "date", start_of_day(parse_date(str(value["date"])), tz)
        except ValueError:
            raise errors.invalid("Invalid Value", f"{which}.date") from None
    if "dateTime" not in value:
        raise errors.required(f"Missing {which} time.")
    try:
        parsed = parse_local(str(value["dateTime"]))
    except ValueError:
        raise errors.invalid("Invalid Value", f"{which}.dateTime") from None
    if parsed.tzinfo is None:
        if not tz_name:
            raise errors.required(f"Missing time zone definition for {which} time.")
        parsed = parsed.replace(tzinfo=tz)
    return "dateTime", parsed


def _attendees(value: object, calendar: Calendar) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise errors.invalid("Invalid Value", "attendees")
    result = []
    for item in value:
        if not isinstance(item, dict) or not item.get("email"):
            raise errors.required("Missing attendee email.")
        attendee = dict(item)
        attendee.setdefault("responseStatus", "needsAction")
        if attendee["responseStatus"] not in RESPONSE_STATUSES:
            raise errors.invalid("Invalid attendee response status.")
        if attendee["email"] == calendar.owner_email:
            attendee["self"] = True
        result.append(attendee)
    return result


def _check_extended_properties(value: object) -> None:
    if not isinstance(value, dict):
        raise errors.invalid("Invalid Value", "extendedProperties")
    for scope in ("private", "shared"):
        props = value.get(scope, {})
        if not isinstance(props, dict) or not all(isinstance(v, str) for v in props.values()):
            raise errors.invalid("Invalid Value", f"extendedProperties.{scope}")


def merge_patch(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Patch semantics: given fields replace, nested objects merge, null removes a field.

    `start`, `end` and `attendees` are replaced whole (a date/dateTime switch must not merge).
    """
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif (
            isinstance(value, dict)
            and isinstance(merged.get(key), dict)
            and key not in REPLACED_ON_PATCH
        ):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def html_link(event_id: str, calendar_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).rstrip(b"=").decode()
    return f"https://www.google.com/calendar/event?eid={eid}"


def render(
    event: StoredEvent, calendar: Calendar, time_zone: ZoneInfo | None = None
) -> dict[str, Any]:
    """The event resource as Google returns it; dateTimes are written in the event's zone,
    else the requested zone, else the calendar's."""
    body = copy.deepcopy(event.body)
    tz = time_zone or zone(calendar.time_zone)
    resource: dict[str, Any] = {
        "kind": "calendar#event",
        "etag": event.etag,
        "id": event.id,
        "status": event.status,
        "htmlLink": html_link(event.id, calendar.id),
        "created": format_timestamp(event.created_at),
        "updated": format_timestamp(event.updated_at),
    }
    for key in ("summary", "description", "location"):
        if key in body:
            resource[key] = body.pop(key)
    resource["creator"] = {"email": calendar.owner_email, "self": True}
    resource["organizer"] = {"email": calendar.id, "self": True}
    resource["start"] = _render_time(body.pop("start"), event.start_at, tz)
    resource["end"] = _render_time(body.pop("end"), event.end_at, tz)
    resource["iCalUID"] = f"{event.id}@google.com"
    resource["sequence"] = event.sequence
    resource.setdefault("reminders", {"useDefault": True})
    resource["eventType"] = "default"
    resource.update(body)
    return resource


def _render_time(value: dict[str, Any], moment: datetime, tz: ZoneInfo) -> dict[str, Any]:
    if "dateTime" not in value:
        return dict(value)
    own_zone = value.get("timeZone")
    rendered = dict(value)
    rendered["dateTime"] = format_datetime(moment, zone(own_zone) if own_zone else tz)
    return rendered
