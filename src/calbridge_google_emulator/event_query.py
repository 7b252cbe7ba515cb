"""events.list: parameters, filters, order and paging.

Paging is keyed, not offset-based: a page token remembers the sort key of the last item
returned and the query it belongs to, so later pages ignore the query string (as Google
ignores everything but `pageToken`/`maxResults` when paging). A cursor also remembers the
change counter at the first page; the last page's `nextSyncToken` carries that value, so a
change made while a client pages is returned again by the next incremental sync rather
than lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.datastructures import QueryParams

from calbridge_google_emulator import errors
from calbridge_google_emulator.state import EmulatorState, StoredEvent
from calbridge_google_emulator.times import parse_rfc3339
from calbridge_google_emulator.web import parse_bool

DEFAULT_MAX_RESULTS = 250
MAX_RESULTS_CAP = 2500
NOT_WITH_SYNC_TOKEN = ("iCalUID", "orderBy", "privateExtendedProperty", "q",
                       "sharedExtendedProperty", "timeMin", "timeMax", "updatedMin")  # fmt: skip


@dataclass(frozen=True)
class EventQuery:
    time_min: datetime | None = None
    time_max: datetime | None = None
    order_by: str | None = None
    show_deleted: bool = False
    text: str | None = None
    ical_uid: str | None = None
    private_properties: tuple[tuple[str, str], ...] = ()
    shared_properties: tuple[tuple[str, str], ...] = ()
    updated_min: datetime | None = None
    changed_after_seq: int | None = None


def max_results(params: QueryParams) -> int:
    raw = params.get("maxResults")
    if raw is None:
        return DEFAULT_MAX_RESULTS
    try:
        value = int(raw)
    except ValueError:
        raise errors.invalid("Invalid value for: maxResults", "maxResults") from None
    if value < 1:
        raise errors.invalid("Invalid value for: maxResults", "maxResults")
    return min(value, MAX_RESULTS_CAP)


def parse_query(params: QueryParams, state: EmulatorState, calendar_id: str) -> EventQuery:
    """Read the list parameters; a sync token that was never issued for this calendar (or
    was invalidated) is 410 `fullSyncRequired`."""
    sync_token = params.get("syncToken")
    if sync_token is not None:
        for name in NOT_WITH_SYNC_TOKEN:
            if name in params:
                raise errors.invalid(f"{name} is not allowed with syncToken", name)
        known = state.sync_tokens.get(sync_token)
        if known is None or known[0] != calendar_id:
            raise errors.full_sync_required()
        return EventQuery(show_deleted=True, changed_after_seq=known[1])
    order_by = params.get("orderBy")
    single_events = parse_bool(params.get("singleEvents"), "singleEvents", False)
    if order_by not in (None, "startTime", "updated"):
        raise errors.invalid("Invalid Value", "orderBy")
    if order_by == "startTime" and not single_events:
        raise errors.invalid("The requested ordering is not available for the particular query.")
    query = EventQuery(
        time_min=_time_param(params, "timeMin"),
        time_max=_time_param(params, "timeMax"),
        order_by=order_by,
        show_deleted=parse_bool(params.get("showDeleted"), "showDeleted", False),
        text=params.get("q"),
        ical_uid=params.get("iCalUID"),
        private_properties=_properties(params, "privateExtendedProperty"),
        shared_properties=_properties(params, "sharedExtendedProperty"),
        updated_min=_time_param(params, "updatedMin"),
    )
    if query.time_min and query.time_max and query.time_min >= query.time_max:
        raise errors.time_range_empty()
    return query


def _time_param(params: QueryParams, name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return parse_rfc3339(raw)
    except ValueError:
        raise errors.ApiError(400, "badRequest", "Bad Request", location=name) from None


def _properties(params: QueryParams, name: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in params.getlist(name):
        key, sep, value = item.partition("=")
        if not sep:
            raise errors.invalid("Invalid Value", name)
        pairs.append((key, value))
    return tuple(pairs)


def matches(event: StoredEvent, query: EventQuery) -> bool:
    if query.changed_after_seq is not None:
        return event.seq > query.changed_after_seq
    if event.status == "cancelled" and not query.show_deleted:
        return False
    if query.time_min is not None and event.end_at <= query.time_min:
        return False
    if query.time_max is not None and event.start_at >= query.time_max:
        return False
    if query.updated_min is not None and event.updated_at < query.updated_min:
        return False
    if query.ical_uid is not None and query.ical_uid != f"{event.id}@google.com":
        return False
    props = event.body.get("extendedProperties", {})
    for scope, wanted in (
        ("private", query.private_properties),
        ("shared", query.shared_properties),
    ):
        have = props.get(scope, {})
        if any(have.get(key) != value for key, value in wanted):
            return False
    return query.text is None or query.text.lower() in _searchable(event)


def _searchable(event: StoredEvent) -> str:
    body = event.body
    parts = [str(body.get(k, "")) for k in ("summary", "description", "location")]
    for attendee in body.get("attendees", []):
        parts += [attendee.get("email", ""), attendee.get("displayName", "")]
    return " ".join(parts).lower()


def sort_key(event: StoredEvent, query: EventQuery) -> tuple[Any, ...]:
    """Default order is creation order (stable); sync pages go in change order."""
    if query.changed_after_seq is not None or query.order_by == "updated":
        return (event.seq, event.index)
    if query.order_by == "startTime":
        return (event.start_at.timestamp(), event.index)
    return (event.index,)
