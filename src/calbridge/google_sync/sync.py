"""Pushing one of our events to its linked Google calendar, idempotently.

The Google copy's id is derived from the event's random uid (``google_event_id``), and our ids
are also in ``extendedProperties.private``, so whatever happens to a call (a response lost after
Google did the write, a worker killed mid-call) repeating it can never make a second copy:

- ``upsert``: patch when we know a copy exists; else insert with the derived id, and if Google
  answers 409 (the id exists: a retried insert whose answer was lost, or a copy deleted earlier,
  since Google never frees an id) patch that copy instead. The patch carries our status, so it
  also brings back a copy that was deleted in Google while our event lives on.
- ``remove``: delete; 404 (never pushed) and 410 (already deleted) count as done.

``event_body`` is the pure mapping from our event to Google's event resource.
"""

from __future__ import annotations

import base64
import contextlib
import uuid
from typing import Any

from calbridge.calendar.models import Calendar
from calbridge.event.models import Event
from calbridge.google.client import GoogleCalendarClient
from calbridge.google.errors import GoogleNotFound, GooglePermanent
from calbridge.statuses import EventStatus
from calbridge.timezones import load_timezone, to_local
from calbridge.workspace.models import Member

ID_PREFIX = "cb"
PRIVATE_EVENT_ID = "calbridgeEventId"
PRIVATE_WORKSPACE = "calbridgeWorkspace"


def google_event_id(workspace_uuid: str, event_id: int, event_uid: str | None) -> str:
    """The id of the event's Google copy, the same on every retry: ``"cb"`` + the event's random
    uid (lowercase hex is base32hex), so a new event never takes over a deleted one's copy.
    Events made before uids: ``"cb"`` + base32hex (lowercase, unpadded) of the workspace's uuid
    and the event id (41 characters of ``0-9a-v``), which their copies already carry."""
    if event_uid is not None:
        return ID_PREFIX + event_uid
    raw = uuid.UUID(workspace_uuid).bytes + event_id.to_bytes(8, "big")
    return ID_PREFIX + base64.b32hexencode(raw).decode().rstrip("=").lower()


def event_body(
    event: Event, calendar: Calendar, members: dict[int, Member], workspace_uuid: str
) -> dict[str, Any]:
    """Google's event resource for a live event (used for insert and, whole, for patch: a
    ``None`` description or location clears Google's; the attendee list is replaced)."""
    tz = load_timezone(calendar.timezone)
    return {
        "summary": event.title,
        "description": event.description,
        "location": event.location,
        "start": {
            "dateTime": to_local(event.start_at, tz).isoformat(),
            "timeZone": calendar.timezone,
        },
        "end": {"dateTime": to_local(event.end_at, tz).isoformat(), "timeZone": calendar.timezone},
        "status": EventStatus.TENTATIVE
        if event.status == EventStatus.TENTATIVE
        else EventStatus.CONFIRMED,
        "attendees": [
            {
                "email": members[attendee.member_id].email,
                "displayName": members[attendee.member_id].name,
                # Our response statuses are Google's (needsAction, accepted, declined, tentative).
                "responseStatus": attendee.response_status,
            }
            for attendee in event.attendees
            if attendee.member_id in members
        ],
        "extendedProperties": {
            "private": {PRIVATE_EVENT_ID: str(event.id), PRIVATE_WORKSPACE: workspace_uuid}
        },
    }


def _without_nulls(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


async def upsert(
    client: GoogleCalendarClient,
    calendar_id: str,
    google_id: str,
    body: dict[str, Any],
    *,
    known: bool,
) -> dict[str, Any]:
    """Make Google's copy match ``body``; ``known``: our record says the copy was made."""
    if known:
        try:
            return await client.patch_event(calendar_id, google_id, body)
        except GoogleNotFound:
            pass  # gone from Google altogether: make it again
    try:
        return await client.insert_event(calendar_id, {"id": google_id, **_without_nulls(body)})
    except GooglePermanent as error:
        if error.status != 409:
            raise
    return await client.patch_event(calendar_id, google_id, body)


async def remove(client: GoogleCalendarClient, calendar_id: str, google_id: str) -> None:
    """Delete Google's copy; one that never existed or is already deleted is fine."""
    with contextlib.suppress(GoogleNotFound):
        await client.delete_event(calendar_id, google_id)
