"""The data both the app and the floor are measured on: one workspace with a token and a member,
a calendar that allows overlap holding N events spread over two years (for the list test), and an
empty calendar that forbids overlap and has no availability (for the create test). Also ``book``:
one booking through the real event service, for benchmarks that time what follows a commit."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert

from calbridge.auth.scopes import ALL_SCOPES
from calbridge.auth.service import create_token
from calbridge.calendar.models import Calendar
from calbridge.db import Database, utcnow
from calbridge.event import service as event_service
from calbridge.event.models import Event
from calbridge.event.schemas import EventCreate
from calbridge.google.gateway import GoogleGateway
from calbridge.google_sync.busy import GoogleBusyTime
from calbridge.workspace.models import Member, Workspace
from calbridge.workspace.service import create_workspace

TIMEZONE = "Europe/Amsterdam"
LIST_SPAN_START = datetime(2027, 1, 4, tzinfo=UTC)  # a Monday
LIST_SPAN = timedelta(days=730)
BOOKING_START = datetime(2027, 1, 4, tzinfo=UTC)
BATCH = 5_000
EVENTS = cast(Table, Event.__table__)


@dataclass(frozen=True)
class Seeded:
    workspace_id: int
    workspace_uuid: str
    token: str  # the bearer secret, all scopes
    member_id: int
    list_calendar_id: int
    create_calendar_id: int


async def seed(database: Database, events: int) -> Seeded:
    async with database.transaction() as session:
        workspace = await create_workspace(session, name="Bench", timezone=TIMEZONE)
        issued = await create_token(session, workspace, scopes=list(ALL_SCOPES), name="bench")
        member = Member(workspace_id=workspace.id, name="Ada Bench", email="ada@bench.example")
        listed = Calendar(
            workspace_id=workspace.id, name="Busy", timezone=TIMEZONE, allow_overlap=True
        )
        booked = Calendar(
            workspace_id=workspace.id, name="Bookings", timezone=TIMEZONE, allow_overlap=False
        )
        session.add_all([member, listed, booked])
        await session.flush()
        seeded = Seeded(
            workspace_id=workspace.id,
            workspace_uuid=workspace.uuid,
            token=issued.secret,
            member_id=member.id,
            list_calendar_id=listed.id,
            create_calendar_id=booked.id,
        )
    rows = _event_rows(seeded, events)
    for first in range(0, len(rows), BATCH):
        async with database.transaction() as session:
            # Core, not ORM: the ORM's bulk path costs several times more per row.
            await session.execute(insert(EVENTS), rows[first : first + BATCH])
    return seeded


def _event_rows(seeded: Seeded, count: int) -> list[dict[str, Any]]:
    """Events evenly spread over LIST_SPAN with 15 to 120 minute durations (deterministic)."""
    rng = random.Random(20261121)
    step = LIST_SPAN / max(count, 1)
    now = utcnow()
    rows = []
    for index in range(count):
        start_at = LIST_SPAN_START + step * index
        minutes = rng.choice((15, 30, 45, 60, 90, 120))
        rows.append(
            {
                "workspace_id": seeded.workspace_id,
                "calendar_id": seeded.list_calendar_id,
                "title": f"Seeded event {index}",
                "start_at": start_at,
                "end_at": start_at + timedelta(minutes=minutes),
                "status": "confirmed",
                "metadata": {},
                "duration_seconds": minutes * 60,
                "exclusive": False,
                "version": 1,
                "google_sync_status": "not_linked",
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


async def book(
    database: Database, workspace: Workspace, calendar_id: int, n: int, *, google: GoogleGateway
) -> int:
    """Booking number ``n`` (half an hour at BOOKING_START + n hours, no attendee) through
    ``create_event`` in a transaction of its own: the booking rules (``google`` answers a
    googleConflictCheck), the event row and its ``event.changed`` job, committed. Returns the
    event's id."""
    start = BOOKING_START + timedelta(hours=n)
    data = EventCreate.model_validate(
        {
            "calendarId": calendar_id,
            "title": f"Bench {n}",
            "startTime": start.isoformat(),
            "endTime": (start + timedelta(minutes=30)).isoformat(),
        }
    )
    async with database.transaction() as session:
        view = await event_service.create_event(
            session, workspace, data, busy_source=GoogleBusyTime(google)
        )
    return view.event.id
