from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.calendar.models import Calendar
from calbridge.pagination import Paged, paginate

# The first key of calbridge's advisory locks on calendars (pg_advisory_xact_lock(int, int)).
BOOKING_LOCK_CLASS = 0x0CA1


async def get_calendar(
    session: AsyncSession,
    workspace_id: int,
    calendar_id: int,
    *,
    lock: bool = False,
) -> Calendar | None:
    """The calendar; with ``lock``, its row is locked FOR UPDATE for the transaction on
    PostgreSQL. SQLite's write transactions are serialised already, so there the lock is a
    no-op. (A booking reads its calendar through ``event.repository.calendar_and_members``.)"""
    query = select(Calendar).where(
        Calendar.workspace_id == workspace_id, Calendar.id == calendar_id
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def calendars_by_id(
    session: AsyncSession, workspace_id: int, ids: set[int]
) -> dict[int, Calendar]:
    if not ids:
        return {}
    rows = await session.scalars(
        select(Calendar).where(Calendar.workspace_id == workspace_id, Calendar.id.in_(ids))
    )
    return {calendar.id: calendar for calendar in rows}


async def page_calendars(
    session: AsyncSession, workspace_id: int, *, page: int, size: int
) -> Paged[Calendar]:
    query = select(Calendar).where(Calendar.workspace_id == workspace_id).order_by(Calendar.id)
    return await paginate(session, query, page=page, size=size)
