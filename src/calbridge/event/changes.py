"""The bounded change summary an ``event.changed`` job carries instead of a second snapshot.

A change's job holds the event as it is after the change (``after``) and, in ``before_changes``,
only what differs before it: the old value of each changed field, the old order of attendee ids
if it changed, and the old entries of the attendees whose entry changed or who left. An RSVP on
a 200-attendee event so stores one attendee, not the 199 who did not answer. ``restore`` gives
back the whole ``before``. (A creation has no ``before``; a deletion, no ``after``: it keeps the
``before`` snapshot, the only state there is.) Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EventJSON = dict[str, Any]


def summarize(before: EventJSON, after: EventJSON) -> dict[str, Any]:
    fields = {
        key: value
        for key, value in before.items()
        if key != "attendees" and after.get(key) != value
    }
    summary: dict[str, Any] = {"fields": fields}
    old_ids = [attendee["memberId"] for attendee in before["attendees"]]
    if old_ids != [attendee["memberId"] for attendee in after["attendees"]]:
        summary["attendeeIds"] = old_ids
    now = {attendee["memberId"]: attendee for attendee in after["attendees"]}
    summary["attendees"] = [
        attendee for attendee in before["attendees"] if now.get(attendee["memberId"]) != attendee
    ]
    return summary


def restore(after: EventJSON, summary: dict[str, Any]) -> EventJSON:
    """The event before the change, from the event after it and ``summarize``'s summary."""
    before = {**after, **summary["fields"]}
    now = {attendee["memberId"]: attendee for attendee in after["attendees"]}
    old = {attendee["memberId"]: attendee for attendee in summary["attendees"]}
    ids = summary.get("attendeeIds", list(now))
    before["attendees"] = [old.get(member_id) or now[member_id] for member_id in ids]
    return before


def states(payload: Mapping[str, Any]) -> tuple[EventJSON | None, EventJSON | None]:
    """(before, after) of an ``event.changed`` payload (jobs queued before summaries existed
    carry a whole ``before``)."""
    after = payload.get("after")
    if after is not None and payload.get("before_changes") is not None:
        return restore(after, payload["before_changes"]), after
    return payload.get("before"), after
