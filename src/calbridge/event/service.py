"""Bookings: create, update, cancel, delete, RSVP. Every change enqueues one ``event.changed``
job in the same transaction; Google sync and event rules subscribe to it and run after commit."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.calendar import repository as calendar_repository
from calbridge.calendar.models import Calendar
from calbridge.db import utcnow
from calbridge.errors import Conflict, NotFound, PreconditionFailed, ValidationProblem
from calbridge.event import booking, changes, history, presenter, repository
from calbridge.event.models import Attendee, Event
from calbridge.event.schemas import (
    CancelRequest,
    EventCreate,
    EventResponse,
    EventUpdate,
    RsvpRequest,
    check_metadata,
)
from calbridge.merge_patch import merge_patch
from calbridge.outbox.service import enqueue
from calbridge.statuses import EventStatus, SyncStatus
from calbridge.workspace import repository as workspace_repository
from calbridge.workspace.models import Member, Workspace

if TYPE_CHECKING:
    from calbridge.event.conflicts import BusyTimeSource

EVENT_CHANGED = "event.changed"


@dataclass
class EventView:
    """An event with what it takes to show it, once its change is complete: the response is
    built once and serves both the HTTP answer and the outbox snapshot."""

    event: Event
    calendar: Calendar
    members: dict[int, Member]
    _shown: EventResponse | None = field(default=None, init=False, repr=False, compare=False)

    def response(self) -> EventResponse:
        if self._shown is None:
            self._shown = presenter.present(self.event, self.calendar, self.members)
        return self._shown

    def snapshot(self) -> dict[str, Any]:
        return self.response().model_dump(mode="json", by_alias=True)


async def get_event(
    session: AsyncSession, workspace: Workspace, event_id: int, *, lock: bool = False
) -> Event:
    event = await repository.get_event(session, workspace.id, event_id, lock=lock)
    if event is None:
        raise NotFound("Event")
    return event


async def view_event(session: AsyncSession, workspace: Workspace, event_id: int) -> EventView:
    """The event as shown, in two queries: it with its calendar, then its attendees."""
    event = await repository.get_event_shown(session, workspace.id, event_id)
    if event is None:
        raise NotFound("Event")
    members = await repository.load_attendees(session, workspace.id, [event])
    return EventView(event, event.calendar, members)


async def view(session: AsyncSession, workspace: Workspace, event: Event) -> EventView:
    calendar = await calendar_repository.get_calendar(session, workspace.id, event.calendar_id)
    assert calendar is not None
    members = await workspace_repository.members_by_id(
        session, workspace.id, [a.member_id for a in event.attendees]
    )
    return EventView(event, calendar, members)


async def create_event(
    session: AsyncSession,
    workspace: Workspace,
    data: EventCreate,
    *,
    busy_source: BusyTimeSource,
    privileged: bool = False,
) -> EventView:
    """``privileged`` (calendars:admin, the admin panel) books inside notice and advance;
    ``google`` answers the calendar's googleConflictCheck."""
    checked = await booking.check(
        session,
        workspace,
        booking.Booking(
            data.calendar_id, data.start_time, data.end_time, data.attendee_ids, privileged
        ),
        busy_source=busy_source,
    )
    now = utcnow()
    values = {
        "workspace_id": workspace.id,
        "title": data.title,
        "description": data.description,
        "location": data.location,
        "status": data.status,
        "metadata": data.metadata,
        "google_sync_status": _sync_status(checked.calendar),
        "created_at": now,
        "updated_at": now,
        **_placed(checked),
    }
    free = None if checked.overlap_checked else checked.free_window
    with _overlap_refused():
        event = await repository.insert_event(session, values, free=free)
    if event is None:
        await booking.refuse_overlap(session, checked)
        raise Conflict("The slot is already booked.", code="slot_conflict")
    event.attendees = [
        Attendee(member_id=member_id, position=position)
        for position, member_id in enumerate(data.attendee_ids)
    ]
    await _flush(session)
    result = EventView(event, checked.calendar, checked.members)
    await _changed(session, result, "created", before=None)
    return result


async def update_event(
    session: AsyncSession,
    workspace: Workspace,
    event_id: int,
    data: EventUpdate,
    *,
    busy_source: BusyTimeSource,
    if_match: str | None = None,
    privileged: bool = False,
) -> EventView:
    event = await get_event(session, workspace, event_id, lock=True)
    check_if_match(event, if_match)
    if event.status == EventStatus.CANCELLED:
        raise Conflict("A cancelled event cannot be changed.", code="event_cancelled")
    before = await view(session, workspace, event)
    before_snapshot = before.snapshot()
    fields = data.model_fields_set
    calendar, members = before.calendar, before.members
    if fields & {"calendar_id", "start_time", "end_time", "attendee_ids"}:
        # Unchanged times are given as instants, so they need no calendar-local resolution.
        checked = await booking.check(
            session,
            workspace,
            booking.Booking(
                calendar_id=data.calendar_id if data.calendar_id is not None else event.calendar_id,
                start_time=data.start_time if data.start_time is not None else event.start_at,
                end_time=data.end_time if data.end_time is not None else event.end_at,
                attendee_ids=(
                    data.attendee_ids
                    if data.attendee_ids is not None
                    else [a.member_id for a in event.attendees]
                ),
                privileged=privileged,
            ),
            busy_source=busy_source,
            current=booking.Current(event.id, event.start_at, event.end_at, before.calendar),
        )
        calendar, members = checked.calendar, checked.members
        _place(event, checked)
        if data.attendee_ids is not None:
            _replace_attendees(event, data.attendee_ids)
    for name, attribute in (
        ("title", "title"),
        ("description", "description"),
        ("location", "location"),
        ("status", "status"),
    ):
        if name in fields:
            setattr(event, attribute, getattr(data, name))
    if "metadata" in fields:
        event.meta = _merged_metadata(event.meta, data.metadata)
    await _flush(session)  # new attendees get their defaults
    unchanged = EventView(event, calendar, members)
    if unchanged.snapshot() == before_snapshot:
        # Nothing the client can see changed: no new version (the ETag stays), no job (no sync,
        # no rule run), like cancelling a cancelled event.
        return unchanged
    event.google_sync_status = _sync_status(calendar, event.google_event_id)
    _touch(event)
    await _flush(session)
    after = EventView(event, calendar, members)  # shown once the change is complete
    await _changed(session, after, "updated", before=before_snapshot)
    return after


async def cancel_event(
    session: AsyncSession,
    workspace: Workspace,
    event_id: int,
    data: CancelRequest,
    *,
    privileged: bool = False,
    if_match: str | None = None,
) -> EventView:
    """Cancelling frees the slot; cancelling a cancelled event changes and enqueues nothing.
    Inside the calendar's cancellation notice → 409 change_too_late, unless ``privileged``."""
    event = await get_event(session, workspace, event_id, lock=True)
    check_if_match(event, if_match)
    if event.status == EventStatus.CANCELLED:
        return await view(session, workspace, event)
    before = await view(session, workspace, event)
    booking.check_change(event, before.calendar, privileged=privileged)
    before_snapshot = before.snapshot()
    event.status = EventStatus.CANCELLED
    event.cancelled_at = utcnow()
    event.cancellation_reason = data.reason
    event.google_sync_status = _sync_status(before.calendar, event.google_event_id)
    _touch(event)
    await _flush(session)
    after = EventView(event, before.calendar, before.members)
    await _changed(session, after, "cancelled", before=before_snapshot)
    return after


async def delete_event(
    session: AsyncSession, workspace: Workspace, event_id: int, *, if_match: str | None = None
) -> None:
    event = await get_event(session, workspace, event_id, lock=True)
    check_if_match(event, if_match)
    before = await view(session, workspace, event)
    await session.delete(event)
    await session.flush()
    await enqueue(
        session,
        EVENT_CHANGED,
        ordering_key=f"event:{event_id}",
        event_id=event_id,
        event_uid=event.uid,
        workspace_id=workspace.id,
        change="deleted",
        before=before.snapshot(),
        after=None,
        before_google=_google_link(before.calendar, event.google_event_id),
        after_google=None,
    )


async def respond(
    session: AsyncSession,
    workspace: Workspace,
    event_id: int,
    member_id: int,
    data: RsvpRequest,
    *,
    if_match: str | None = None,
) -> tuple[EventView, Attendee]:
    event = await get_event(session, workspace, event_id, lock=True)
    check_if_match(event, if_match)
    attendee = next((a for a in event.attendees if a.member_id == member_id), None)
    if attendee is None:
        raise NotFound("Attendee")
    if event.status == EventStatus.CANCELLED:
        raise Conflict("A cancelled event takes no responses.", code="event_cancelled")
    before = await view(session, workspace, event)
    before_snapshot = before.snapshot()
    attendee.response_status = data.response_status
    attendee.comment = data.comment
    attendee.responded_at = utcnow()
    _touch(event)
    await _flush(session)
    after = EventView(event, before.calendar, before.members)
    await _changed(
        session, after, "attendee.responded", before=before_snapshot, member_id=member_id
    )
    return after, attendee


def check_if_match(event: Event, if_match: str | None) -> None:
    """If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never matches, nor does text
    that is no ETag at all; either way nothing changes (412)."""
    if if_match is None:
        return
    wanted = {tag.strip() for tag in if_match.split(",")}
    if "*" in wanted or presenter.etag(event) in wanted:
        return
    if any(tag.startswith("W/") for tag in wanted):
        detail = "If-Match needs a strong ETag; a weak one (W/...) never matches."
    elif not all(tag.startswith('"') and tag.endswith('"') and len(tag) > 1 for tag in wanted):
        detail = "If-Match must be an ETag as the event's ETag header gives it, in quotes."
    else:
        detail = "The event has changed since that ETag was issued."
    raise PreconditionFailed(detail)


def matches_none(event: Event, if_none_match: str | None) -> bool:
    """False when If-None-Match names the event's current ETag (or is ``*``): the client's
    copy is current (304). The comparison is weak (RFC 9110 §13.1.2)."""
    if if_none_match is None:
        return True
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" not in tags and presenter.etag(event) not in tags


def _merged_metadata(current: dict[str, Any], patch: dict[str, Any] | None) -> dict[str, Any]:
    """JSON Merge Patch of the metadata; the result must still fit the metadata limits."""
    merged: dict[str, Any] = merge_patch(current, patch)
    try:
        return check_metadata(merged)
    except ValueError as error:
        raise ValidationProblem(str(error), field="metadata") from None


def _replace_attendees(event: Event, member_ids: list[int]) -> None:
    """Keeps the response of members who stay; newcomers start at needsAction."""
    current = {attendee.member_id: attendee for attendee in event.attendees}
    attendees = []
    for position, member_id in enumerate(member_ids):
        attendee = current.get(member_id) or Attendee(member_id=member_id)
        attendee.position = position
        attendees.append(attendee)
    event.attendees = attendees


def _placed(checked: booking.CheckedBooking) -> dict[str, Any]:
    """The event's columns that follow from where and when it is booked."""
    return {
        "calendar_id": checked.calendar.id,
        "start_at": checked.start_at,
        "end_at": checked.end_at,
        "duration_seconds": math.ceil((checked.end_at - checked.start_at).total_seconds()),
        "exclusive": not checked.calendar.allow_overlap,
    }


def _place(event: Event, checked: booking.CheckedBooking) -> None:
    for name, value in _placed(checked).items():
        setattr(event, name, value)


def _touch(event: Event) -> None:
    event.version += 1
    event.updated_at = utcnow()


def _sync_status(calendar: Calendar, google_event_id: str | None = None) -> SyncStatus:
    """``pending`` while the sync job has work: the calendar is linked, or the event still has a
    Google copy (from a calendar it left) that the job will remove; else ``not_linked``."""
    if calendar.google_calendar_id is None and google_event_id is None:
        return SyncStatus.NOT_LINKED
    return SyncStatus.PENDING


async def _flush(session: AsyncSession) -> None:
    with _overlap_refused():
        await session.flush()


@contextmanager
def _overlap_refused() -> Iterator[None]:
    """PostgreSQL's exclusion constraint, the last word on overlap should a check be raced,
    refuses the write: 409 slot_conflict."""
    try:
        yield
    except IntegrityError as error:
        if "events_no_overlap" in str(error.orig):
            raise Conflict("The slot is already booked.", code="slot_conflict") from None
        raise


async def _changed(
    session: AsyncSession,
    view_: EventView,
    change: str,
    *,
    before: dict[str, Any] | None,
    **extra: Any,
) -> None:
    after = view_.snapshot()
    await history.record(session, view_.event.id, change, before, after)
    await enqueue(
        session,
        EVENT_CHANGED,
        ordering_key=f"event:{view_.event.id}",
        event_id=view_.event.id,
        event_uid=view_.event.uid,
        workspace_id=view_.event.workspace_id,
        change=change,
        # The event after the change, and only what differed before it (``changes``).
        after=after,
        before_changes=None if before is None else changes.summarize(before, after),
        before_google=(
            None
            if before is None
            else _google_link(
                await session.get(Calendar, before["calendarId"]), before["googleEventId"]
            )
        ),
        after_google=_google_link(view_.calendar, view_.event.google_event_id),
        **extra,
    )


def _google_link(calendar: Calendar | None, google_event_id: str | None) -> dict[str, Any] | None:
    """Where the event's Google copy is (or is to be): the calendar's link as it is when the
    change is made. The sync job removes the copy from there even if the calendar is unlinked or
    deleted before the job runs (it could not find the link any more)."""
    if calendar is None or calendar.google_account_id is None or not calendar.google_calendar_id:
        return None
    return {
        "account_id": calendar.google_account_id,
        "calendar_id": calendar.google_calendar_id,
        "event_id": google_event_id,
    }
