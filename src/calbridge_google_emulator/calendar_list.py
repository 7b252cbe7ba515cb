"""calendarList.list/get and calendars.get for the caller's calendars."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from calbridge_google_emulator.auth import authenticate
from calbridge_google_emulator.calendar_api import resolve_calendar
from calbridge_google_emulator.discovery import ApiRoute
from calbridge_google_emulator.resources import calendar_resource, list_entry
from calbridge_google_emulator.web import json_response, state_of


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
