"""Reading a Google calendar into the mirror: listing changes, and the pure mapping of Google's
events to mirror rows.

``fetch`` lists every change since the calendar's sync token (events.list with ``syncToken``,
all pages), or, without a token or when Google answers 410 (the token expired), every event
(a full sync: the mirror is then replaced, not patched). Each listing is read to its last page
before anything is written, so the mirror moves from one of Google's sync points to the next.

``classify`` sorts the listed events: calbridge's own copies of this workspace's events are left
out (the local overlap check covers them, as they are now); cancelled events, and events that
cannot be placed in time, leave the mirror; the rest are stored with what decides whether they
are busy (status, transparency, declined by the calendar's owner).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from calbridge.google.client import GoogleCalendarClient
from calbridge.google.errors import GoogleError, GooglePermanent
from calbridge.google.mirror import MirrorRow
from calbridge.google_sync import sync
from calbridge.statuses import EventStatus, ResponseStatus
from calbridge.timezones import local_to_utc_lenient

# events.list pages read at most by one sync (2500 events each).
MAX_PAGES = 100


@dataclass
class Listing:
    items: list[dict[str, Any]]
    sync_token: str
    full: bool  # a full listing: the mirror is replaced by it


@dataclass
class Batch:
    upserts: list[MirrorRow] = field(default_factory=list)
    removals: list[str] = field(default_factory=list)
    own: list[dict[str, Any]] = field(default_factory=list)  # our copies, as Google has them


async def fetch(client: GoogleCalendarClient, calendar_id: str, sync_token: str | None) -> Listing:
    if sync_token is not None:
        try:
            return await _list(client, calendar_id, {"syncToken": sync_token}, full=False)
        except GooglePermanent as error:
            if error.status != 410:
                raise
            # The token is no longer valid (fullSyncRequired): start again from everything.
    return await _list(client, calendar_id, {}, full=True)


async def _list(
    client: GoogleCalendarClient,
    calendar_id: str,
    query: dict[str, str | int | bool],
    *,
    full: bool,
) -> Listing:
    params: dict[str, str | int | bool] = {"singleEvents": True, "maxResults": 2500, **query}
    items: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        page = await client.list_events(calendar_id, **params)
        items.extend(item for item in page.get("items") or [] if isinstance(item, dict))
        token = page.get("nextPageToken")
        if token:
            params["pageToken"] = str(token)
            continue
        next_sync = page.get("nextSyncToken")
        if not next_sync:
            raise GoogleError("Google's last page of events carried no nextSyncToken")
        return Listing(items, str(next_sync), full)
    raise GoogleError(f"the calendar has more than {MAX_PAGES} pages of events")


def classify(items: list[dict[str, Any]], tz: ZoneInfo, workspace_uuid: str) -> Batch:
    """Sort listed events into mirror rows, removals and our own copies (pure)."""
    batch = Batch()
    for item in items:
        google_id = item.get("id")
        if not isinstance(google_id, str) or not google_id:
            continue
        if is_ours(item, workspace_uuid):
            batch.own.append(item)
            batch.removals.append(google_id)  # never busy time, whatever it was before
            continue
        row = mirror_row(item, tz)
        if row is None:
            batch.removals.append(google_id)
        else:
            batch.upserts.append(row)
    return batch


def is_ours(item: dict[str, Any], workspace_uuid: str) -> bool:
    """A copy of one of this workspace's events (``google.sync`` marks them)."""
    private = (item.get("extendedProperties") or {}).get("private") or {}
    return isinstance(private, dict) and private.get(sync.PRIVATE_WORKSPACE) == workspace_uuid


def mirror_row(item: dict[str, Any], tz: ZoneInfo) -> MirrorRow | None:
    """The mirror's row for a Google event, or None when it leaves the mirror (cancelled, or
    without a usable start and end). All-day dates are midnights in the calendar's zone."""
    status = str(item.get("status") or EventStatus.CONFIRMED)
    if status == EventStatus.CANCELLED:
        return None
    start_at, end_at = _instant(item.get("start"), tz), _instant(item.get("end"), tz)
    if start_at is None or end_at is None or end_at <= start_at:
        return None
    declined = any(
        isinstance(attendee, dict)
        and attendee.get("self")
        and attendee.get("responseStatus") == ResponseStatus.DECLINED
        for attendee in item.get("attendees") or []
    )
    return MirrorRow(
        google_event_id=str(item["id"]),
        start_at=start_at,
        end_at=end_at,
        status=status[:16],
        transparency=str(item.get("transparency") or "opaque")[:16],
        declined=declined,
        updated_at=parse_instant(item.get("updated")),
    )


def _instant(value: Any, tz: ZoneInfo) -> datetime | None:
    if not isinstance(value, dict):
        return None
    if value.get("dateTime"):
        return parse_instant(value["dateTime"])
    if value.get("date"):
        try:
            day = date.fromisoformat(str(value["date"]))
        except ValueError:
            return None
        return local_to_utc_lenient(day, time(), tz)  # a midnight in a DST gap moves on
    return None


def parse_instant(value: Any) -> datetime | None:
    """An RFC 3339 instant (with its offset) in UTC, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)
