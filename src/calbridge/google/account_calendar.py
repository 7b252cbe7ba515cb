"""The account calendar API's work with Google (CONTRACT §4): upcoming entries, one entry,
creating one. Google's failures become the contract's errors here.

"Upcoming" is every entry of the primary calendar whose end is after now and whose start is
within ``HORIZON`` from now, expanded (``singleEvents=true``), soonest first
(``orderBy=startTime``). One events.list call fetches at most ``FETCH_CAP`` entries (Google's
largest page); ``total`` counts those, so it is capped at ``FETCH_CAP``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from calbridge.db import utcnow
from calbridge.errors import NotFound, ValidationProblem
from calbridge.google import mapping
from calbridge.google.client import GoogleCalendarClient
from calbridge.google.errors import (
    GoogleGrantRevoked,
    GoogleNotConnected,
    GoogleNotFound,
    GooglePermanent,
    GoogleRejected,
    GoogleRetryable,
    GoogleUnavailable,
)
from calbridge.google.schemas import CreateEntry, EntryDetail, EntryList
from calbridge.pagination import paginate_list
from calbridge.statuses import EventStatus

HORIZON = timedelta(days=365)
FETCH_CAP = 2500
MAX_PER_PAGE = 50
PRIMARY = "primary"

T = TypeVar("T")


async def _google(call: Awaitable[T]) -> T:
    try:
        return await call
    except GoogleRetryable as error:
        raise GoogleUnavailable() from error
    except GoogleGrantRevoked as error:
        raise GoogleNotConnected() from error
    except GoogleNotFound as error:
        raise NotFound("Event") from error
    except GooglePermanent as error:
        if error.status == 400:
            raise ValidationProblem(
                f"Google refused the entry: {error.message}", code="google_rejected"
            ) from error
        raise GoogleRejected(f"Google refused the call: {error.message}") from error


async def list_upcoming(client: GoogleCalendarClient, *, page: int, per_page: int) -> EntryList:
    per_page = min(per_page, MAX_PER_PAGE)
    now = utcnow()
    response = await _google(
        client.list_events(
            PRIMARY,
            timeMin=now.isoformat(),
            timeMax=(now + HORIZON).isoformat(),
            singleEvents=True,
            orderBy="startTime",
            maxResults=FETCH_CAP,
        )
    )
    items = [
        item for item in response.get("items", []) if item.get("status") != EventStatus.CANCELLED
    ]
    shown = paginate_list(items, page=page, size=per_page)
    return EntryList(
        data=[mapping.entry_summary(item) for item in shown.items],
        meta=mapping.page_meta(shown.total, page, per_page),
    )


async def get_entry(client: GoogleCalendarClient, event_id: str) -> EntryDetail:
    event = await _google(client.get_event(PRIMARY, event_id))
    if event.get("status") == EventStatus.CANCELLED:
        raise NotFound("Event")
    return mapping.entry_detail(event)


async def create_entry(client: GoogleCalendarClient, entry: CreateEntry) -> EntryDetail:
    event = await _google(client.insert_event(PRIMARY, mapping.insert_body(entry)))
    return mapping.entry_detail(event)
