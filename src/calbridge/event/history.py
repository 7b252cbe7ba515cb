"""Each event's history (CONTRACT §3.5): one row per change, in the change's own transaction.

Who changed it is said by the door the change came through, on the session
(``acting(session, source, actor)``): the API (the token's name), the admin panel (the admin's
email), the CLI, event rules (no actor) and Google (two-way sync). A session nobody marked is
the API's, with no actor. The row is added by the event service next to the change's
``event.changed`` job, so it commits or rolls back with the change itself; it is deleted with
the event (foreign key, ``ON DELETE CASCADE``).

``changes`` maps each field that changed to ``{"from", "to"}`` in the API's names; attendees
are ``attendeeIds`` (the list, when it changed) and ``attendee:{memberId}`` (a member's
response and comment, when they changed). A creation lists the fields it set.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.db import utcnow
from calbridge.event.models import EventChange
from calbridge.pagination import Paged, paginate

ACTOR_KEY = "calbridge_event_actor"
FIELDS = ("calendarId", "title", "description", "location", "startTime", "endTime", "status",
          "metadata", "cancellationReason")  # fmt: skip
ACTIONS = {
    "created": "created",
    "updated": "updated",
    "cancelled": "cancelled",
    "attendee.responded": "rsvp",
}


class Source(StrEnum):
    API = "api"
    ADMIN = "admin"
    GOOGLE = "google"
    RULE = "rule"
    CLI = "cli"


@contextmanager
def acting(session: AsyncSession, source: Source, actor: str | None) -> Iterator[None]:
    """Changes made through ``session`` inside the block are ``source``'s, by ``actor``."""
    info = session.sync_session.info
    previous = info.get(ACTOR_KEY)
    info[ACTOR_KEY] = (source, actor)
    try:
        yield
    finally:
        if previous is None:
            info.pop(ACTOR_KEY, None)
        else:
            info[ACTOR_KEY] = previous


def act_as(session: AsyncSession, source: Source, actor: str | None) -> None:
    """Mark the whole session (a request's) as ``source``'s, by ``actor``."""
    session.sync_session.info[ACTOR_KEY] = (source, actor)


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """What changed between two EventResponse snapshots (pure)."""
    old = before or {}
    changes: dict[str, Any] = {
        key: {"from": old.get(key), "to": after.get(key)}
        for key in FIELDS
        if old.get(key) != after.get(key)
    }
    old_attendees = {a["memberId"]: a for a in old.get("attendees") or []}
    new_attendees = {a["memberId"]: a for a in after.get("attendees") or []}
    if list(old_attendees) != list(new_attendees):
        changes["attendeeIds"] = {"from": list(old_attendees), "to": list(new_attendees)}
    for member_id, now in new_attendees.items():
        was = old_attendees.get(member_id)
        if was is not None and _answer(was) != _answer(now):
            changes[f"attendee:{member_id}"] = {"from": _answer(was), "to": _answer(now)}
    return changes


def _answer(attendee: dict[str, Any]) -> dict[str, Any]:
    return {"responseStatus": attendee.get("responseStatus"), "comment": attendee.get("comment")}


async def record(
    session: AsyncSession,
    event_id: int,
    change: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    """Add the history row of one change (``change`` as ``event.changed`` names it). An update
    made from Google (two-way sync) is ``google_change_applied``."""
    source, _ = session.sync_session.info.get(ACTOR_KEY, (Source.API, None))
    action = ACTIONS.get(change, change)
    if source == Source.GOOGLE and action == "updated":
        action = "google_change_applied"
    await add(session, event_id, action, diff(before, after))


async def add(session: AsyncSession, event_id: int, action: str, changes: dict[str, Any]) -> None:
    """Add one history row as the session's door and actor say."""
    source, actor = session.sync_session.info.get(ACTOR_KEY, (Source.API, None))
    session.add(
        EventChange(
            event_id=event_id,
            at=utcnow(),
            action=action,
            source=str(source),
            actor=actor,
            changes=changes,
        )
    )
    await session.flush()


async def page(session: AsyncSession, event_id: int, *, page: int, size: int) -> Paged[EventChange]:
    """One page of the event's history, oldest first, and how many rows it has."""
    query = select(EventChange).where(EventChange.event_id == event_id).order_by(EventChange.id)
    return await paginate(session, query, page=page, size=size)
