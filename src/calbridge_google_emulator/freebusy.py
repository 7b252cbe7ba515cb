"""freebusy.query: the caller's busy time in a window.

Busy time is every confirmed or tentative event that is not `transparent` and not declined
by the calendar's owner, clipped to the window and merged where it overlaps. Calendars the
caller cannot see answer with `errors: [{"domain": "global", "reason": "notFound"}]`
instead of failing the whole request, as Google does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from calbridge_google_emulator import errors
from calbridge_google_emulator.auth import authenticate
from calbridge_google_emulator.discovery import ApiRoute
from calbridge_google_emulator.state import Calendar, EmulatorState, StoredEvent
from calbridge_google_emulator.times import format_datetime, format_timestamp, parse_rfc3339, zone
from calbridge_google_emulator.web import json_response, parse_object, state_of

MAX_CALENDARS = 50


def _window(body: dict[str, Any]) -> tuple[datetime, datetime]:
    bounds = []
    for name in ("timeMin", "timeMax"):
        if name not in body:
            raise errors.required(f"Missing {name} parameter.", name)
        try:
            bounds.append(parse_rfc3339(str(body[name])))
        except ValueError:
            raise errors.invalid("Invalid Value", name) from None
    if bounds[0] >= bounds[1]:
        raise errors.time_range_empty()
    return bounds[0], bounds[1]


def _is_busy(event: StoredEvent, owner: str) -> bool:
    if event.status == "cancelled" or event.body.get("transparency") == "transparent":
        return False
    for attendee in event.body.get("attendees", []):
        if attendee.get("email") == owner and attendee.get("responseStatus") == "declined":
            return False
    return True


def busy_periods(
    state: EmulatorState, calendar: Calendar, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    spans = sorted(
        (max(e.start_at, start), min(e.end_at, end))
        for e in state.events[calendar.id].values()
        if _is_busy(e, calendar.owner_email) and e.start_at < end and e.end_at > start
    )
    merged: list[tuple[datetime, datetime]] = []
    for span_start, span_end in spans:
        if span_start >= span_end:
            continue
        if merged and span_start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span_end))
        else:
            merged.append((span_start, span_end))
    return merged


async def query_freebusy(request: Request) -> Response:
    state = state_of(request)
    payload = await request.body()
    async with state.lock:
        token = authenticate(state, request, "calendar.freebusy.query")
        body = parse_object(payload)
        start, end = _window(body)
        try:
            tz = zone(str(body.get("timeZone") or "UTC"))
        except ValueError:
            raise errors.invalid("Invalid time zone definition.", "timeZone") from None
        items = body.get("items") or []
        if not isinstance(items, list) or len(items) > MAX_CALENDARS:
            raise errors.invalid("Invalid Value", "items")
        calendars: dict[str, Any] = {}
        for item in items:
            calendar_id = str(item.get("id", "")) if isinstance(item, dict) else ""
            lookup = (
                state.primary_calendar_id(token.email) if calendar_id == "primary" else calendar_id
            )
            calendar = state.calendars.get(lookup)
            if calendar is None or calendar.owner_email != token.email:
                calendars[calendar_id] = {
                    "errors": [{"domain": "global", "reason": "notFound"}],
                    "busy": [],
                }
                continue
            calendars[calendar_id] = {
                "busy": [
                    {"start": format_datetime(s, tz), "end": format_datetime(e, tz)}
                    for s, e in busy_periods(state, calendar, start, end)
                ]
            }
        return json_response(
            {
                "kind": "calendar#freeBusy",
                "timeMin": format_timestamp(start),
                "timeMax": format_timestamp(end),
                "calendars": calendars,
            }
        )


routes = [ApiRoute("calendar.freebusy.query", query_freebusy)]
