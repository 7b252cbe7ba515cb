"""The two statements a booking is made of, besides writing its attendees, history and job
(issue 10: a booking in six statements, the token's included).

``calendar_and_members``: the calendar and the members named as attendees, in one read. On
PostgreSQL it also locks, in the order ``event.booking`` describes: the calendar's row FOR SHARE
(a materialised CTE, so the row is locked before anything else of the statement runs), the
members' rows FOR SHARE, then, for a calendar that forbids overlap, the calendar's advisory
lock. Written as three statements before, it held the same locks in the same order.

``insert_event``: the event's INSERT, which for a calendar that forbids overlap inserts only if
no event of the calendar meets the buffered window (``INSERT … SELECT … WHERE NOT EXISTS``, on
the interval index). The check and the write are one statement, so nothing can come between
them; and it runs after the advisory lock was taken (PostgreSQL's READ COMMITTED gives each
statement a fresh snapshot), so it sees every booking committed before. No row back means the
slot is taken; the caller then asks which event took it, for the 409's detail.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    null,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.base import Executable

from calbridge.calendar.models import Calendar
from calbridge.calendar.repository import BOOKING_LOCK_CLASS
from calbridge.errors import Conflict
from calbridge.event.models import Event
from calbridge.event.span import sharing_instant, span_values
from calbridge.statuses import EventStatus
from calbridge.workspace.models import Member


async def calendar_and_members(
    session: AsyncSession, workspace_id: int, calendar_id: int, member_ids: list[int]
) -> tuple[Calendar | None, dict[int, Member]]:
    """The calendar (None when the workspace has no such calendar) and those of the members
    that exist, by id; on PostgreSQL with the booking's locks (see the module's docstring)."""
    query = _calendar_and_members(session.get_bind().dialect.name)
    rows = await session.execute(
        query,
        {"workspace_id": workspace_id, "calendar_id": calendar_id, "member_ids": member_ids},
    )
    calendar: Calendar | None = None
    members: dict[int, Member] = {}
    for row in rows:
        calendar = row[0]
        if row[1] is not None:
            members[row[1].id] = row[1]
    return calendar, members


@functools.cache
def _calendar_and_members(dialect: str) -> Executable:
    wanted_calendar = and_(
        Calendar.workspace_id == bindparam("workspace_id"),
        Calendar.id == bindparam("calendar_id"),
    )
    wanted_members = and_(
        Member.workspace_id == bindparam("workspace_id"),
        Member.id.in_(bindparam("member_ids", expanding=True)),
    )
    if dialect != "postgresql":
        # SQLite: the write transaction is the lock (it began IMMEDIATE).
        return select(Calendar, Member).outerjoin(Member, wanted_members).where(wanted_calendar)
    locked_calendar = (
        select(Calendar)
        .where(wanted_calendar)
        .with_for_update(read=True)
        .cte("booked_calendar")
        .prefix_with("MATERIALIZED")
    )
    calendar = aliased(Calendar, locked_calendar)
    locked_members = (
        select(Member).where(wanted_members).with_for_update(read=True).subquery().lateral()
    )
    member = aliased(Member, locked_members)
    serialised = case(
        (calendar.allow_overlap, null()),
        else_=func.pg_advisory_xact_lock(BOOKING_LOCK_CLASS, calendar.id),
    )
    return select(calendar, member, serialised).outerjoin(member, true())


async def insert_event(
    session: AsyncSession,
    values: dict[str, Any],
    *,
    free: tuple[datetime, datetime] | None,
) -> Event | None:
    """Insert the event (``values`` by column) and answer it as the session's object, with no
    attendees yet; with ``free``, only if no event of its calendar that is not cancelled meets
    that window (else None, and nothing was written)."""
    query = _insert(session.get_bind().dialect.name, tuple(values), free is not None)
    parameters = dict(values)
    if free is not None:
        parameters.update(span_values(*free, calendar_ids=[values["calendar_id"]]))
    try:
        event = (await session.execute(query, parameters)).scalar()
    except IntegrityError as error:
        # PostgreSQL's exclusion constraint: the last word on overlap, should a check be raced.
        if "events_no_overlap" in str(error.orig):
            raise Conflict("The slot is already booked.", code="slot_conflict") from None
        raise
    if event is not None:
        set_committed_value(event, "attendees", [])
    return event


@functools.cache
def _insert(dialect: str, columns: tuple[str, ...], guarded: bool) -> Executable:
    events = Event.__table__
    assert isinstance(events, Table)
    row = select(*(bindparam(name, type_=events.c[name].type) for name in columns))
    if guarded:
        span = sharing_instant(dialect, start=True, end=True, workspace=False, calendars=1)
        taken = select(Event.id).where(*span, Event.status != EventStatus.CANCELLED)
        row = row.where(~exists(taken))
    # Core's INSERT, its rows read back as the ORM's Event (an ORM insert would take the values
    # for a bulk insert of rows, not for the SELECT).
    written = events.insert().from_select(list(columns), row).returning(*events.c)
    return select(Event).from_statement(written)
