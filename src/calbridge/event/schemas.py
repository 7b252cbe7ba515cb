from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from calbridge.schemas import (
    REFUSE_NULL,
    DateTimeText,
    Id,
    InputModel,
    NonBlank,
    OutputModel,
    WireDateTime,
)

# The wire spelling of calbridge.statuses (tests/test_statuses.py keeps them equal).
EventStatus = Literal["confirmed", "tentative", "cancelled"]
BookableStatus = Literal["confirmed", "tentative"]
ResponseStatus = Literal["needsAction", "accepted", "declined", "tentative"]
SyncStatus = Literal["not_linked", "pending", "synced", "failed"]
SortBy = Literal["startTime", "endTime", "createdAt", "updatedAt", "title"]
SortOrder = Literal["asc", "desc"]

Title = Annotated[NonBlank, Field(min_length=1, max_length=255)]
Description = Annotated[str, Field(max_length=10_000)]
Location = Annotated[str, Field(max_length=1024)]
MAX_METADATA_BYTES = 8 * 1024
MAX_METADATA_DEPTH = 32
# Attendees of one event: every change stores the event once in its outbox jobs and a list page
# shows it whole, so this bounds both (docs/decisions.md, "Limits (issue 8)").
MAX_ATTENDEES = 200
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200


def check_instant(value: dt.datetime) -> dt.datetime:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


def _check_attendees(value: list[int]) -> list[int]:
    if len(set(value)) != len(value):
        raise ValueError("attendeeIds must not repeat a member")
    return value


def _depth(value: Any) -> int:
    deepest, pending = 0, [(value, 1)]  # a loop: the nesting may be deeper than Python's stack
    while pending:
        item, depth = pending.pop()
        deepest = max(deepest, depth)
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else []
        )
        pending.extend((child, depth + 1) for child in children)
    return deepest


def check_metadata(value: dict[str, Any]) -> dict[str, Any]:
    # Deeper JSON would exhaust the stack of the JSON encoders on the way to the database.
    if _depth(value) > MAX_METADATA_DEPTH:
        raise ValueError(f"metadata may nest at most {MAX_METADATA_DEPTH} levels deep")
    try:
        encoded = json.dumps(value, separators=(",", ":"), allow_nan=False)
    except ValueError:
        # NaN and Infinity are not JSON: PostgreSQL refuses them and no client could read them.
        raise ValueError("metadata must be JSON: NaN and Infinity are not allowed") from None
    if len(encoded.encode()) > MAX_METADATA_BYTES:
        raise ValueError(f"metadata must be at most {MAX_METADATA_BYTES} bytes of JSON")
    return value


Instant = Annotated[DateTimeText, AfterValidator(check_instant)]
AttendeeIds = Annotated[list[Id], Field(max_length=MAX_ATTENDEES), AfterValidator(_check_attendees)]
Metadata = Annotated[dict[str, Any], AfterValidator(check_metadata)]


class EventCreate(InputModel):
    """Times without an offset are local to the calendar's time zone."""

    calendar_id: Id
    title: Title
    start_time: Instant
    end_time: Instant
    description: Description | None = None
    location: Location | None = None
    attendee_ids: AttendeeIds = Field(default_factory=list)
    status: BookableStatus = "confirmed"
    metadata: Metadata = Field(default_factory=dict)


class EventUpdate(InputModel):
    """Any subset of the create fields; omitted fields keep their value (JSON Merge Patch:
    ``metadata`` merges into the event's, a key set to null there removes it)."""

    calendar_id: Annotated[Id | None, REFUSE_NULL] = None
    title: Annotated[Title | None, REFUSE_NULL] = None
    start_time: Annotated[Instant | None, REFUSE_NULL] = None
    end_time: Annotated[Instant | None, REFUSE_NULL] = None
    description: Description | None = None
    location: Location | None = None
    attendee_ids: Annotated[AttendeeIds | None, REFUSE_NULL] = None
    status: Annotated[BookableStatus | None, REFUSE_NULL] = None
    metadata: Annotated[Metadata | None, REFUSE_NULL] = None


class CancelRequest(InputModel):
    reason: Annotated[str, Field(max_length=2000)] | None = None


class RsvpRequest(InputModel):
    response_status: ResponseStatus
    comment: Annotated[str, Field(max_length=2000)] | None = None


class AttendeeResponse(OutputModel):
    member_id: int
    name: str
    email: str
    response_status: ResponseStatus
    comment: str | None
    responded_at: WireDateTime | None


class EventChangeResponse(OutputModel):
    """One change of an event (``GET /calendar-events/{id}/history``)."""

    at: WireDateTime
    action: Literal[
        "created", "updated", "cancelled", "rsvp", "google_change_applied", "google_change_refused"
    ]
    source: Literal["api", "admin", "google", "rule", "cli"]
    actor: str | None
    changes: dict[str, Any]


class EventResponse(OutputModel):
    id: int
    calendar_id: int
    title: str
    description: str | None
    location: str | None
    start_time: WireDateTime
    end_time: WireDateTime
    timezone: str
    status: EventStatus
    attendees: list[AttendeeResponse]
    metadata: dict[str, Any]
    google_event_id: str | None
    google_sync_status: SyncStatus
    cancelled_at: WireDateTime | None
    cancellation_reason: str | None
    created_at: WireDateTime
    updated_at: WireDateTime
