from __future__ import annotations

import functools
from collections import defaultdict
from datetime import datetime
from types import EllipsisType
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    null,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.base import Executable

from calbridge.calendar.models import Calendar
from calbridge.calendar.repository import BOOKING_LOCK_CLASS
from calbridge.event.models import Attendee, Event
from calbridge.event.span import ranked, sharing_instant, span_values
from calbridge.pagination import Paged, PageQuery
from calbridge.statuses import EventStatus, SyncStatus
from calbridge.workspace.models import Member

SORT_COLUMNS: dict[str, Any] = {
    "startTime": Event.start_at,
    "endTime": Event.end_at,
    "createdAt": Event.created_at,
    "updatedAt": Event.updated_at,
    "title": Event.title,
}


async def get_event(
    session: AsyncSession, workspace_id: int, event_id: int, *, lock: bool = False
) -> Event | None:
    """The event with its attendees; with ``lock``, its row is locked (PostgreSQL) until commit,
    so changes of one event (and their If-Match checks and versions) happen one at a time."""
    query = (
        select(Event)
        .where(Event.workspace_id == workspace_id, Event.id == event_id)
        .options(selectinload(Event.attendees))
        .execution_options(populate_existing=True)
    )
    if lock:
        query = query.with_for_update(of=Event)
    return await session.scalar(query)


# The GET and list paths run these on every request: built once, their values bound per call.
_SHOWN = (
    select(Event)
    .where(Event.workspace_id == bindparam("workspace_id"), Event.id == bindparam("event_id"))
    .options(joinedload(Event.calendar, innerjoin=True))
)
_ATTENDEES_WITH_MEMBERS = (
    select(Attendee, Member)
    .join(Member, Member.id == Attendee.member_id)
    .where(Attendee.event_id.in_(bindparam("event_ids", expanding=True)))
    .where(Member.workspace_id == bindparam("workspace_id"))
    .order_by(Attendee.event_id, Attendee.position)
)


async def get_event_shown(session: AsyncSession, workspace_id: int, event_id: int) -> Event | None:
    """The event with its calendar, in one query, to be shown (``load_attendees`` next)."""
    found = await session.execute(_SHOWN, {"workspace_id": workspace_id, "event_id": event_id})
    return found.scalar()


async def load_attendees(
    session: AsyncSession, workspace_id: int, events: list[Event]
) -> dict[int, Member]:
    """Fill in the events' attendees and answer their members by id: one query for a page."""
    if not events:
        return {}
    rows = await session.execute(
        _ATTENDEES_WITH_MEMBERS,
        {"event_ids": [event.id for event in events], "workspace_id": workspace_id},
    )
    attendees: defaultdict[int, list[Attendee]] = defaultdict(list)
    members: dict[int, Member] = {}
    for attendee, member in rows:
        attendees[attendee.event_id].append(attendee)
        members[member.id] = member
    for event in events:
        set_committed_value(event, "attendees", attendees[event.id])
    return members


async def busy_between(
    session: AsyncSession,
    calendar_ids: list[int],
    start_at: datetime,
    end_at: datetime,
    *,
    exclude_id: int | None = None,
    limit: int | None = None,
) -> list[tuple[int, int, datetime, datetime]]:
    """``(calendar_id, id, start_at, end_at)`` of the non-cancelled events of the calendars that
    share an instant with [start, end), by start: one query on the interval index, reading only
    the four columns."""
    if not calendar_ids:
        return []
    query = _busy_query(
        session.get_bind().dialect.name,
        len(calendar_ids) > 1,
        exclude_id is not None,
        limit is not None,
    )
    values = span_values(start_at, end_at, calendar_ids=calendar_ids)
    rows = await session.execute(query, {**values, "exclude_id": exclude_id, "limit": limit})
    return [(row[0], row[1], row[2], row[3]) for row in rows]


# Every booking and every list runs one of these: each shape is built once, with its values
# bound per call (building and keying the statement cost more than SQLite running it).
@functools.cache
def _busy_query(
    dialect: str, several: bool, exclude: bool, limited: bool
) -> Select[int, int, datetime, datetime]:
    query = select(Event.calendar_id, Event.id, Event.start_at, Event.end_at).where(
        *_busy_terms(dialect, 1 + several)
    )
    if exclude:
        query = query.where(Event.id != bindparam("exclude_id"))
    query = query.order_by(*ranked(dialect, True, Event.start_at, Event.id))
    return query.limit(bindparam("limit")) if limited else query


def _busy_terms(dialect: str, calendars: int) -> list[ColumnElement[bool]]:
    """Events of the calendars, not cancelled, that share an instant with the bound window."""
    span = sharing_instant(dialect, start=True, end=True, workspace=False, calendars=calendars)
    return [*span, Event.status != EventStatus.CANCELLED]


@functools.cache
def _page_query(
    dialect: str,
    calendar: bool,
    start: bool,
    end: bool,
    status: bool,
    title: bool,
    sort_by: str,
    descending: bool,
) -> PageQuery[Event]:
    span = sharing_instant(dialect, start=start, end=end, workspace=True, calendars=int(calendar))
    query: Select[Event] = select(Event).where(*span)
    if status:
        query = query.where(Event.status == bindparam("status"))
    if title:
        pattern = func.lower(bindparam("title"))  # SQL's lower() on both sides, as icontains
        query = query.where(func.lower(Event.title).like(pattern, escape="/"))
    column, tie = ranked(dialect, start or end, SORT_COLUMNS[sort_by], Event.id)
    if sort_by == "title" and dialect == "postgresql":
        # Code-point order on both databases (SQLite's default), whatever the server's locale.
        column = column.collate("C")
    order = (column.desc(), tie.desc()) if descending else (column.asc(), tie.asc())
    return PageQuery.of(query.order_by(*order).options(joinedload(Event.calendar, innerjoin=True)))


async def page_events(
    session: AsyncSession,
    workspace_id: int,
    *,
    calendar_id: int | None,
    start_at: datetime | None,
    end_at: datetime | None,
    status: str | None,
    sort_by: str,
    descending: bool,
    page: int,
    size: int,
    title_contains: str | None = None,
) -> Paged[Event]:
    """One page of events overlapping [start_at, end_at), sorted, ties broken by id;
    ``title_contains`` (the admin's search) matches titles ignoring case."""
    query = _page_query(
        session.get_bind().dialect.name,
        calendar_id is not None,
        start_at is not None,
        end_at is not None,
        status is not None,
        bool(title_contains),
        sort_by,
        descending,
    )
    values = span_values(
        start_at,
        end_at,
        workspace_id=workspace_id,
        calendar_ids=None if calendar_id is None else [calendar_id],
    )
    values.update(status=status, title=_contains_pattern(title_contains or ""))
    return await query.page(session, values, page=page, size=size)


def _contains_pattern(text: str) -> str:
    """A LIKE pattern (escape ``/``) matching ``text`` anywhere."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


# A booking is six statements (issue 10): the token, these two, then its attendees, its history
# row and its outbox job.


async def calendar_and_members(
    session: AsyncSession, workspace_id: int, calendar_id: int, member_ids: list[int]
) -> tuple[Calendar | None, dict[int, Member]]:
    """The booking's calendar (None when the workspace has no such calendar) and those of the
    members it names that exist, by id, in one read. On PostgreSQL the read also takes the
    booking's locks, in the order ``event.booking`` describes: the calendar's row FOR SHARE (in
    a materialised CTE, so it is locked before the rest of the statement runs), the members'
    rows FOR SHARE (in a LATERAL subquery: PostgreSQL refuses FOR SHARE on the nullable side of
    an outer join), then, for a calendar that forbids overlap, its advisory lock."""
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
    attendees yet. With ``free``, only if no event of its calendar that is not cancelled meets
    that window, else None and nothing is written: the check and the write are one statement
    (``INSERT … SELECT … WHERE NOT EXISTS``, on the interval index), so nothing comes between
    them. On PostgreSQL it runs after ``calendar_and_members`` took the advisory lock, and under
    READ COMMITTED a statement's snapshot is taken when it starts, so it sees every booking
    committed before."""
    query = _insert(session.get_bind().dialect.name, tuple(values), free is not None)
    parameters = dict(values)
    if free is not None:
        parameters.update(span_values(*free, calendar_ids=[values["calendar_id"]]))
    event = (await session.execute(query, parameters)).scalar()
    if event is not None:
        set_committed_value(event, "attendees", [])
    return event


@functools.cache
def _insert(dialect: str, columns: tuple[str, ...], guarded: bool) -> Executable:
    events = Event.__table__
    assert isinstance(events, Table)
    row = select(*(bindparam(name, type_=events.c[name].type) for name in columns))
    if guarded:
        row = row.where(~exists(select(Event.id).where(*_busy_terms(dialect, 1))))
    # Core's INSERT, its rows read back as the ORM's Event (an ORM insert would take the values
    # for a bulk insert of rows, not for the SELECT).
    written = events.insert().from_select(list(columns), row).returning(*events.c)
    return select(Event).from_statement(written)


async def lock_calendar_events(session: AsyncSession, workspace_id: int, calendar_id: int) -> None:
    """Lock the calendar's events (PostgreSQL) in id order, as event updates lock them."""
    await session.execute(
        select(Event.id)
        .where(Event.workspace_id == workspace_id, Event.calendar_id == calendar_id)
        .order_by(Event.id)
        .with_for_update()
    )


async def calendar_has_events(session: AsyncSession, calendar_id: int) -> bool:
    return bool(await session.scalar(select(exists().where(Event.calendar_id == calendar_id))))


async def calendar_has_overlaps(session: AsyncSession, calendar_id: int) -> bool:
    """Whether two live events of the calendar share an instant."""
    other = aliased(Event)
    query = (
        select(Event.id)
        .join(
            other,
            (other.calendar_id == Event.calendar_id)
            & (other.id > Event.id)
            & (other.start_at < Event.end_at)
            & (other.end_at > Event.start_at),
        )
        .where(
            Event.calendar_id == calendar_id,
            Event.status != EventStatus.CANCELLED,
            other.status != EventStatus.CANCELLED,
        )
        .limit(1)
    )
    return (await session.scalar(query)) is not None


async def set_exclusive(session: AsyncSession, calendar_id: int, exclusive: bool) -> None:
    """Mark the calendar's events as taking part in the no-overlap constraint, or not."""
    await session.execute(
        update(Event).where(Event.calendar_id == calendar_id).values(exclusive=exclusive)
    )


async def set_google_sync(
    session: AsyncSession,
    event_id: int,
    status: SyncStatus,
    *,
    google_event_id: str | EllipsisType | None = ...,
    version: int | None = None,
    workspace_id: int | None = None,
) -> None:
    """Write the event's Google sync bookkeeping (``googleSyncStatus``, and ``googleEventId``
    when given) without a new version: no new ETag, no new ``event.changed``. With ``version``,
    only if the event was not changed since; with ``workspace_id``, only in that workspace."""
    query = update(Event).where(Event.id == event_id)
    if version is not None:
        query = query.where(Event.version == version)
    if workspace_id is not None:
        query = query.where(Event.workspace_id == workspace_id)
    values: dict[str, Any] = {"google_sync_status": status}
    if not isinstance(google_event_id, EllipsisType):
        values["google_event_id"] = google_event_id
    await session.execute(query.values(**values).execution_options(synchronize_session=False))
