"""Events as the wire shows them: instants in the calendar's time zone, attendees with names."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.calendar.models import Calendar
from calbridge.event import repository
from calbridge.event.models import Attendee, Event
from calbridge.event.schemas import AttendeeResponse, EventResponse
from calbridge.timezones import load_timezone, to_local
from calbridge.workspace.models import Member


def etag(event: Event) -> str:
    """Id and version, plus part of the event's random uid: even a database whose ids were
    reused before they were made AUTOINCREMENT never hands an old tag to another event."""
    if event.uid is None:
        return f'"{event.id}-{event.version}"'
    return f'"{event.id}-{event.version}-{event.uid[:8]}"'


def present_attendee(attendee: Attendee, member: Member, tz: ZoneInfo) -> AttendeeResponse:
    return AttendeeResponse(
        member_id=attendee.member_id,
        name=member.name,
        email=member.email,
        response_status=attendee.response_status,
        comment=attendee.comment,
        responded_at=_local(attendee.responded_at, tz),
    )


def present(event: Event, calendar: Calendar, members: dict[int, Member]) -> EventResponse:
    tz = load_timezone(calendar.timezone)
    return EventResponse(
        id=event.id,
        calendar_id=event.calendar_id,
        title=event.title,
        description=event.description,
        location=event.location,
        start_time=to_local(event.start_at, tz),
        end_time=to_local(event.end_at, tz),
        timezone=calendar.timezone,
        status=event.status,
        attendees=[present_attendee(a, members[a.member_id], tz) for a in event.attendees],
        metadata=event.meta,
        google_event_id=event.google_event_id,
        google_sync_status=event.google_sync_status,
        cancelled_at=_local(event.cancelled_at, tz),
        cancellation_reason=event.cancellation_reason,
        created_at=to_local(event.created_at, tz),
        updated_at=to_local(event.updated_at, tz),
    )


async def present_many(
    session: AsyncSession, workspace_id: int, events: list[Event]
) -> list[EventResponse]:
    """Events loaded with their calendars (``repository.page_events``), shown with their
    attendees (one more query for the lot)."""
    members = await repository.load_attendees(session, workspace_id, events)
    return [present(event, event.calendar, members) for event in events]


def _local(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    return None if value is None else to_local(value, tz)
