"""Calendar v3 events: list, get, insert, update, patch, delete.

Google's rules kept here: insert answers 200 and delete 204; client ids must be base32hex
and may never be reused in the calendar, not even after delete (409 `duplicate`); delete is
soft, so get still answers with `status: "cancelled"` and a second delete is 410 `deleted`;
`If-Match` with a stale ETag is 412.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from calbridge_google_emulator import errors
from calbridge_google_emulator.auth import authenticate
from calbridge_google_emulator.discovery import ApiRoute
from calbridge_google_emulator.event_model import merge_patch, normalize, render
from calbridge_google_emulator.event_query import matches, max_results, parse_query, sort_key
from calbridge_google_emulator.ids import is_valid_event_id, new_event_id
from calbridge_google_emulator.state import Calendar, EmulatorState, ListCursor, StoredEvent
from calbridge_google_emulator.times import format_timestamp, zone
from calbridge_google_emulator.web import json_response, parse_json, parse_object, state_of


def resolve_calendar(state: EmulatorState, request: Request, email: str) -> Calendar:
    """The path's calendar, `primary` meaning the caller's own; 404 if not the caller's."""
    calendar_id = request.path_params["calendarId"]
    if calendar_id == "primary":
        calendar_id = state.primary_calendar_id(email)
    calendar = state.calendars.get(calendar_id)
    if calendar is None or calendar.owner_email != email:
        raise errors.not_found()
    return calendar


def _response_zone(request: Request) -> Any:
    name = request.query_params.get("timeZone")
    if name is None:
        return None
    try:
        return zone(name)
    except ValueError:
        raise errors.invalid("Invalid time zone definition.", "timeZone") from None


async def list_events(request: Request) -> Response:
    state = state_of(request)
    async with state.lock:
        token = authenticate(state, request, "calendar.events.list")
        calendar = resolve_calendar(state, request, token.email)
        limit = max_results(request.query_params)
        tz = _response_zone(request)
        page_token = request.query_params.get("pageToken")
        if page_token is not None:
            cursor = state.page_tokens.get(page_token)
            if cursor is None or cursor.calendar_id != calendar.id:
                raise errors.invalid("Invalid page token.", "pageToken")
        else:
            query = parse_query(request.query_params, state, calendar.id)
            cursor = ListCursor(calendar.id, query, None, state.seq)
        return json_response(_page(state, calendar, cursor, limit, tz))


def _page(
    state: EmulatorState, calendar: Calendar, cursor: ListCursor, limit: int, tz: Any
) -> dict[str, Any]:
    query = cursor.query
    found = sorted(
        (e for e in state.events[calendar.id].values() if matches(e, query)),
        key=lambda e: sort_key(e, query),
    )
    if cursor.after_key is not None:
        found = [e for e in found if sort_key(e, query) > cursor.after_key]
    page = found[:limit]
    body: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": f'"{state.seq:016d}"',
        "summary": calendar.summary,
        "description": "",
        "updated": format_timestamp(_last_update(state, calendar)),
        "timeZone": calendar.time_zone,
        "accessRole": "owner",
        "defaultReminders": [],
    }
    if len(found) > limit:
        next_token = secrets.token_urlsafe(24)
        after = sort_key(page[-1], query)
        state.page_tokens[next_token] = ListCursor(calendar.id, query, after, cursor.snapshot_seq)
        body["nextPageToken"] = next_token
    else:
        sync_token = secrets.token_urlsafe(24)
        state.sync_tokens[sync_token] = (calendar.id, cursor.snapshot_seq)
        body["nextSyncToken"] = sync_token
    body["items"] = [render(e, calendar, tz) for e in page]
    return body


def _last_update(state: EmulatorState, calendar: Calendar) -> Any:
    events = state.events[calendar.id].values()
    return max((e.updated_at for e in events), default=state.clock.now())


def _find(state: EmulatorState, calendar: Calendar, request: Request) -> StoredEvent:
    event = state.events[calendar.id].get(request.path_params["eventId"])
    if event is None:
        raise errors.not_found()
    return event


def _check_if_match(request: Request, event: StoredEvent) -> None:
    expected = request.headers.get("if-match")
    if expected is not None and expected not in ("*", event.etag):
        raise errors.condition_not_met()


async def get_event(request: Request) -> Response:
    state = state_of(request)
    async with state.lock:
        token = authenticate(state, request, "calendar.events.get")
        calendar = resolve_calendar(state, request, token.email)
        event = _find(state, calendar, request)
        if request.headers.get("if-none-match") == event.etag:
            return Response(status_code=304, headers={"ETag": event.etag})
        return json_response(render(event, calendar, _response_zone(request)), etag=event.etag)


async def insert_event(request: Request) -> Response:
    state = state_of(request)
    payload = await request.body()
    async with state.lock:
        token = authenticate(state, request, "calendar.events.insert")
        calendar = resolve_calendar(state, request, token.email)
        raw = parse_json(payload)
        event_id = raw.get("id") if isinstance(raw, dict) else None
        if event_id is not None:
            if not isinstance(event_id, str) or not is_valid_event_id(event_id):
                raise errors.invalid("Invalid resource id value.", "id")
            if event_id in state.events[calendar.id]:
                raise errors.duplicate()
        else:
            event_id = new_event_id()
        fields = normalize(raw, calendar)
        now = state.clock.now()
        event = StoredEvent(
            calendar_id=calendar.id,
            id=event_id,
            index=state.next_index,
            body=fields.body,
            status=fields.status,
            created_at=now,
            updated_at=now,
            seq=0,  # stamped by event_changed below
            sequence=0,
            start_at=fields.start_at,
            end_at=fields.end_at,
        )
        state.next_index += 1
        state.events[calendar.id][event_id] = event
        state.event_changed(event)
        return json_response(render(event, calendar), etag=event.etag)


async def update_event(request: Request) -> Response:
    return await _write(request, patch=False)


async def patch_event(request: Request) -> Response:
    return await _write(request, patch=True)


async def _write(request: Request, patch: bool) -> Response:
    method_id = "calendar.events.patch" if patch else "calendar.events.update"
    state = state_of(request)
    payload = await request.body()
    async with state.lock:
        token = authenticate(state, request, method_id)
        calendar = resolve_calendar(state, request, token.email)
        raw = parse_object(payload)
        event = _find(state, calendar, request)
        _check_if_match(request, event)
        if patch:
            raw = merge_patch({**event.body, "status": event.status}, raw)
        fields = normalize(raw, calendar)
        if (fields.start_at, fields.end_at) != (event.start_at, event.end_at):
            event.sequence += 1
        event.body, event.status = fields.body, fields.status
        event.start_at, event.end_at = fields.start_at, fields.end_at
        event.updated_at = state.clock.now()
        state.event_changed(event)
        return json_response(render(event, calendar), etag=event.etag)


async def delete_event(request: Request) -> Response:
    state = state_of(request)
    async with state.lock:
        token = authenticate(state, request, "calendar.events.delete")
        calendar = resolve_calendar(state, request, token.email)
        event = _find(state, calendar, request)
        if event.status == "cancelled":
            raise errors.deleted()
        _check_if_match(request, event)
        event.status = "cancelled"
        event.updated_at = state.clock.now()
        state.event_changed(event)
        return Response(status_code=204)


routes = [
    ApiRoute("calendar.events.list", list_events),
    ApiRoute("calendar.events.insert", insert_event),
    ApiRoute("calendar.events.get", get_event),
    ApiRoute("calendar.events.update", update_event),
    ApiRoute("calendar.events.patch", patch_event),
    ApiRoute("calendar.events.delete", delete_event),
]
