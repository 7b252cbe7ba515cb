"""Calendars: their time zone, availability, attendee limit, overlap and booking policies, and
Google link."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account import repository as account_repository
from calbridge.calendar import repository
from calbridge.calendar.availability import overlaps
from calbridge.calendar.models import Calendar
from calbridge.calendar.schemas import AvailabilityIn, CalendarCreate, CalendarUpdate
from calbridge.errors import Conflict, FieldError, NotFound, ValidationProblem
from calbridge.event import repository as event_repository
from calbridge.google import links
from calbridge.merge_patch import patched_object
from calbridge.workspace.models import Workspace

POLICIES = (
    "min_notice_minutes",
    "max_advance_days",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "cancellation_notice_minutes",
)


async def get_calendar(session: AsyncSession, workspace: Workspace, calendar_id: int) -> Calendar:
    calendar = await repository.get_calendar(session, workspace.id, calendar_id)
    if calendar is None:
        raise NotFound("Calendar")
    return calendar


async def create_calendar(
    session: AsyncSession, workspace: Workspace, data: CalendarCreate
) -> Calendar:
    calendar = Calendar(workspace_id=workspace.id)
    _apply(calendar, data, data.model_fields_set | {"name", "timezone", "allow_overlap", *POLICIES})
    await _check_google_link(session, workspace, calendar)
    session.add(calendar)
    await session.flush()
    await links.link_changed(session, calendar)
    return calendar


async def update_calendar(
    session: AsyncSession, workspace: Workspace, calendar_id: int, data: CalendarUpdate
) -> Calendar:
    """Changes apply to future bookings; existing events are not re-validated, except that
    forbidding overlap is refused while overlapping events exist (409 slot_conflict)."""
    if "allow_overlap" in data.model_fields_set:
        # Event updates lock their event, then the calendar; take the same order here (the
        # calendar's events, then the calendar), or the two deadlock on PostgreSQL.
        await event_repository.lock_calendar_events(session, workspace.id, calendar_id)
    calendar = await repository.get_calendar(session, workspace.id, calendar_id, lock=True)
    if calendar is None:
        raise NotFound("Calendar")
    was_exclusive = not calendar.allow_overlap
    _apply(calendar, data, data.model_fields_set)
    await _check_google_link(session, workspace, calendar)
    forbids_now = not calendar.allow_overlap and not was_exclusive
    if forbids_now and await event_repository.calendar_has_overlaps(session, calendar.id):
        raise Conflict(
            "Events of this calendar overlap; overlap cannot be forbidden until they move.",
            code="slot_conflict",
        )
    if calendar.allow_overlap == was_exclusive:
        await event_repository.set_exclusive(session, calendar.id, not calendar.allow_overlap)
    await session.flush()
    await links.link_changed(session, calendar)
    return calendar


async def delete_calendar(session: AsyncSession, workspace: Workspace, calendar_id: int) -> None:
    """Locks the calendar as a booking does, so the check for events cannot miss one being
    booked at the same moment (which would end in a foreign-key error instead of a 409)."""
    calendar = await repository.get_calendar(session, workspace.id, calendar_id, lock=True)
    if calendar is None:
        raise NotFound("Calendar")
    if await event_repository.calendar_has_events(session, calendar.id):
        raise Conflict(
            "This calendar still has events; delete them first.", code="calendar_not_empty"
        )
    await links.unlink(session, calendar.id)
    await session.delete(calendar)
    await session.flush()


def _apply(calendar: Calendar, data: CalendarCreate | CalendarUpdate, fields: set[str]) -> None:
    for field in fields:
        value = getattr(data, field)
        if field == "availability":
            # A PATCH's availability merges into the current one (RFC 7396), then is checked
            # whole (an exception date given twice across the two is still refused).
            merged = patched_object(calendar.availability, value)
            value = (
                None
                if merged is None
                else AvailabilityIn.model_validate(merged).model_dump(mode="json")
            )
            if value is not None:
                _refuse_overlaps(value)
        setattr(calendar, field, value)


def _refuse_overlaps(availability: dict[str, Any]) -> None:
    """Two windows of one day that share an instant are refused (422 ``overlapping_windows``,
    each later window named): the editor shows the error on its row, and the API agrees."""
    found = overlaps(availability)
    if found:
        raise ValidationProblem(
            "; ".join(f"{path}: {message}" for path, message in found[:5]),
            code="overlapping_windows",
            errors=[FieldError(field=path, message=message) for path, message in found],
        )


async def _check_google_link(
    session: AsyncSession, workspace: Workspace, calendar: Calendar
) -> None:
    if calendar.google_account_id is not None:
        # Not flushed first: the calendar already holds the new id, which the foreign key would
        # refuse (a 500) before this check could answer 422.
        with session.no_autoflush:
            account = await account_repository.get_account(
                session, workspace.id, calendar.google_account_id
            )
        if account is None:
            raise ValidationProblem(
                "No such account in this workspace.",
                field="googleAccountId",
                code="account_not_found",
            )
    elif calendar.google_calendar_id is not None:
        raise ValidationProblem(
            "googleCalendarId needs a googleAccountId.", field="googleCalendarId"
        )
    if calendar.google_conflict_check and calendar.google_calendar_id is None:
        raise ValidationProblem(
            "googleConflictCheck needs a linked Google calendar.", field="googleConflictCheck"
        )
