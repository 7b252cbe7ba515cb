"""calendarList.list/get and calendars.get for the caller's calendars."""

from __future__ import annotations

import zlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from calbridge_google_emulator.auth import authenticate
from calbridge_google_emulator.calendar_api import resolve_calendar
from calbridge_google_emulator.discovery import ApiRoute
from calbridge_google_emulator.state import Calendar
from calbridge_google_emulator.web import json_response, state_of


def calendar_resource(calendar: Calendar) -> dict[str, Any]:
    return {
        "kind": "calendar#calendar",
        "etag": f'"{zlib.crc32(calendar.id.encode()):016d}"',
        "id": calendar.id,
        "summary": calendar.summary,
        "timeZone": calendar.time_zone,
    }


def list_entry(calendar: Calendar) -> dict[str, Any]:
    entry = calendar_resource(calendar)
    entry.update(
        kind="calendar#calendarListEntry",
        accessRole="owner",
        backgroundColor="#9fe1e7",
        foregroundColor="#000000",
        selected=True,
        defaultReminders=[],
    )
    if calendar.primary:
        entry["primary"] = True
    return entry


async def list_calendar_list(request: Request) -> Response:
    state = state_of(request)
    async with state.lock:
        token = authenticate(state, request, "calendar.calendarList.list")
        state.ensure_user(token.email)
        mine = [c for c in state.calendars.values() if c.owner_email == token.email]
        return json_response(
            {
                "kind": "calendar#calendarList",
                "etag": f'"{len(mine):016d}"',
                "items": [list_entry(c) for c in mine],
            }
        )


async def get_calendar_list_entry(request: Request) -> Response:
    state = state_of(request)
    async with state.lock:
        token = authenticate(state, request, "calendar.calendarList.get")
        return json_response(list_entry(resolve_calendar(state, request, token.email)))


async def get_calendar(request: Request) -> Response:
    state = state_of(request)
    async with state.lock:
        token = authenticate(state, request, "calendar.calendars.get")
        return json_response(calendar_resource(resolve_calendar(state, request, token.email)))


routes = [
    ApiRoute("calendar.calendarList.list", list_calendar_list),
    ApiRoute("calendar.calendarList.get", get_calendar_list_entry),
    ApiRoute("calendar.calendars.get", get_calendar),
]
