"""Every query on the mirror: linked calendars' sync states and their mirrored Google events.

A calendar's mirror is **fresh** while its last successful sync (full or incremental) ended at
most ``google_mirror_max_age_seconds`` ago. Syncs run on every push notification and at least
every ``google_poll_seconds`` (the fallback poll), so a healthy calendar is never older than
about one poll interval; one whose syncs fail (Google down, account disconnected) goes stale,
and bookings fall back to asking Google live.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    String,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.calendar.models import Calendar
from calbridge.db import UTCDateTime
from calbridge.google.models import GoogleCalendarSync, GoogleMirrorEvent
from calbridge.outbox.models import OutboxJob
from calbridge.statuses import EventStatus, JobStatus


@dataclass(frozen=True)
class MirrorRow:
    """One Google event as the mirror keeps it (``mapping.mirror_row``)."""

    google_event_id: str
    start_at: datetime
    end_at: datetime
    status: str
    transparency: str
    declined: bool
    updated_at: datetime | None


async def get_sync(
    session: AsyncSession, calendar_id: int, *, lock: bool = False
) -> GoogleCalendarSync | None:
    query = select(GoogleCalendarSync).where(GoogleCalendarSync.calendar_id == calendar_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def sync_by_channel(session: AsyncSession, channel_id: str) -> GoogleCalendarSync | None:
    return await session.scalar(
        select(GoogleCalendarSync).where(GoogleCalendarSync.channel_id == channel_id)
    )


async def syncs_of_account(session: AsyncSession, account_id: int) -> list[GoogleCalendarSync]:
    query = select(GoogleCalendarSync).where(GoogleCalendarSync.account_id == account_id)
    return list((await session.scalars(query)).all())


async def all_syncs(session: AsyncSession) -> list[GoogleCalendarSync]:
    query = select(GoogleCalendarSync).order_by(GoogleCalendarSync.id)
    return list((await session.scalars(query)).all())


async def linked_calendars_without_sync(session: AsyncSession) -> list[Calendar]:
    """Calendars linked before the mirror existed (or whose state was lost)."""
    query = select(Calendar).where(
        Calendar.google_account_id.is_not(None),
        Calendar.google_calendar_id.is_not(None),
        ~exists().where(GoogleCalendarSync.calendar_id == Calendar.id),
    )
    return list((await session.scalars(query)).all())


def is_fresh(sync: GoogleCalendarSync | None, now: datetime, max_age_seconds: float) -> bool:
    return (
        sync is not None
        and sync.sync_token is not None
        and sync.synced_at is not None
        and sync.synced_at >= now - timedelta(seconds=max_age_seconds)
    )


async def fresh_busy(
    session: AsyncSession,
    calendar_id: int,
    start_at: datetime,
    end_at: datetime,
    now: datetime,
    max_age_seconds: float,
) -> list[tuple[datetime, datetime]] | None:
    """The calendar's mirrored busy time in ``[start, end)``, or None if its mirror is stale.
    It is on every booking's path, so it is one statement (one round trip): the calendar's sync
    row if it is fresh, with the busy events from ``start`` minus the longest mirrored event
    (the scan's lower bound, ``max_span_seconds``) up to ``end``. The statement is built once
    per dialect, with bound parameters: building it anew (and computing its cache key) cost
    more than running it (bench/mirror.py measures the booking rate; docs/decisions.md)."""
    query = _fresh_busy_query(session.get_bind().dialect.name == "sqlite")
    params = {
        "calendar_id": calendar_id,
        "start_at": start_at,
        "end_at": end_at,
        "fresh_since": now - timedelta(seconds=max_age_seconds),
    }
    rows = (await session.execute(query, params)).all()
    if not rows:
        return None
    return [(row.start_at, row.end_at) for row in rows if row.start_at is not None]


@functools.cache
def _fresh_busy_query(sqlite: bool) -> Select[Any]:
    """``fresh_busy``'s statement, in Core (the ORM's compile step adds nothing here).
    PostgreSQL reads the events in a LATERAL subquery, which keeps the plan a nested loop over
    the index; SQLite, which has no LATERAL, outer-joins them.

    The subquery's own ORDER BY is for PostgreSQL's plan cache: with it, the generic plan of
    the prepared statement (the same nested loop over the index) costs less than one made for
    the values, so each connection plans the statement once; without it, every execution was
    planned anew, which cost more than running it (tests/google_sync/test_fresh_busy.py)."""
    syncs = GoogleCalendarSync.__table__
    events = GoogleMirrorEvent.__table__
    start_at = bindparam("start_at", type_=UTCDateTime())
    span = syncs.c.max_span_seconds
    floor: ColumnElement[Any]
    if sqlite:
        # datetime() drops the fraction of a second, which only lowers the floor (and it
        # compares below a stored value of the same second), so nothing is missed.
        floor = func.datetime(start_at, "-" + cast(span, String) + " seconds")
    else:
        floor = start_at - func.make_interval(0, 0, 0, 0, 0, 0, span)
    busy = and_(
        events.c.sync_id == syncs.c.id,
        events.c.start_at >= floor,
        events.c.start_at < bindparam("end_at", type_=UTCDateTime()),
        events.c.end_at > start_at,
        events.c.status != EventStatus.CANCELLED,
        events.c.transparency != "transparent",
        events.c.declined.is_(False),
    )
    found: FromClause = events
    if not sqlite:
        found = (
            select(events.c.start_at, events.c.end_at)
            .where(busy)
            .order_by(events.c.start_at)
            .lateral()
        )
        busy = true()
    return (
        select(syncs.c.id, found.c.start_at, found.c.end_at)
        .select_from(syncs)
        .outerjoin(found, busy)
        .where(
            syncs.c.calendar_id == bindparam("calendar_id"),
            syncs.c.sync_token.is_not(None),
            syncs.c.synced_at >= bindparam("fresh_since", type_=UTCDateTime()),
        )
        .order_by(found.c.start_at)
    )


async def clear(session: AsyncSession, sync_id: int) -> None:
    """Empty the mirror (its longest span starts again from the rows written next)."""
    await session.execute(delete(GoogleMirrorEvent).where(GoogleMirrorEvent.sync_id == sync_id))
    await session.execute(
        update(GoogleCalendarSync)
        .where(GoogleCalendarSync.id == sync_id)
        .values(max_span_seconds=0)
        .execution_options(synchronize_session=False)
    )


async def apply(
    session: AsyncSession, sync_id: int, upserts: list[MirrorRow], removals: list[str]
) -> None:
    """Write one sync's outcome: rows replaced by Google id, removed ids deleted. Later
    entries for the same id win (Google lists an event once per sync, but pages may repeat)."""
    latest = {row.google_event_id: row for row in upserts}
    gone = set(removals) - latest.keys()
    ids = list(latest.keys() | gone)
    for chunk in range(0, len(ids), 500):
        await session.execute(
            delete(GoogleMirrorEvent).where(
                GoogleMirrorEvent.sync_id == sync_id,
                GoogleMirrorEvent.google_event_id.in_(ids[chunk : chunk + 500]),
            )
        )
    session.add_all(
        GoogleMirrorEvent(
            sync_id=sync_id,
            google_event_id=row.google_event_id,
            start_at=row.start_at,
            end_at=row.end_at,
            status=row.status,
            transparency=row.transparency,
            declined=row.declined,
            updated_at=row.updated_at,
        )
        for row in latest.values()
    )
    spans = [math.ceil((row.end_at - row.start_at).total_seconds()) for row in latest.values()]
    if spans:
        # Only grows (a removed long event leaves the bound loose, never wrong).
        longest = max(spans)
        await session.execute(
            update(GoogleCalendarSync)
            .where(GoogleCalendarSync.id == sync_id, GoogleCalendarSync.max_span_seconds < longest)
            .values(max_span_seconds=longest)
            .execution_options(synchronize_session=False)
        )
    await session.flush()


GOOGLE_UNWATCH = "google.unwatch"  # the job stopping a channel (``channels.unwatch``)


async def pending_unwatches(session: AsyncSession, account_id: int) -> list[tuple[str, str]]:
    """The channels (id, resource id) of the account that waiting ``google.unwatch`` jobs are
    to stop: whoever takes the account's grant away stops them at once instead."""
    jobs = await session.scalars(
        select(OutboxJob).where(
            OutboxJob.kind == GOOGLE_UNWATCH, OutboxJob.status == JobStatus.PENDING
        )
    )
    return [
        (str(job.payload["channel_id"]), str(job.payload["resource_id"]))
        for job in jobs
        if job.payload.get("account_id") == account_id
    ]


async def has_pending_job(session: AsyncSession, kind: str, ordering_key: str) -> bool:
    """A job of ``kind`` with this key that has not started yet (it will see later changes)."""
    query = select(
        exists().where(
            OutboxJob.ordering_key == ordering_key,
            OutboxJob.kind == kind,
            OutboxJob.status == JobStatus.PENDING,
        )
    )
    return bool(await session.scalar(query))


def channel_due(sync: GoogleCalendarSync, now: datetime, renew_seconds: float) -> bool:
    """The calendar needs a (new) channel: it has none, or it ends within ``renew_seconds``."""
    return sync.channel_expires_at is None or sync.channel_expires_at <= now + timedelta(
        seconds=renew_seconds
    )


def poll_due(sync: GoogleCalendarSync, now: datetime, poll_seconds: float) -> bool:
    return sync.synced_at is None or sync.synced_at <= now - timedelta(seconds=poll_seconds)
