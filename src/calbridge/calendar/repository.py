from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.calendar.models import Calendar


async def get_calendar(
    session: AsyncSession,
    workspace_id: int,
    calendar_id: int,
    *,
    lock: bool = False,
    share: bool = False,
) -> Calendar | None:
    """The calendar; with ``lock``, its row is locked for the transaction on PostgreSQL
    (``FOR UPDATE``, or ``FOR SHARE`` with ``share``). SQLite's write transactions are
    serialised already, so there the lock is a no-op."""
    query = select(Calendar).where(
        Calendar.workspace_id == workspace_id, Calendar.id == calendar_id
    )
    if lock:
        query = query.with_for_update(read=share)
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
    session: AsyncSession, workspace_id: int, *, offset: int, limit: int
) -> tuple[list[Calendar], int]:
    where = Calendar.workspace_id == workspace_id
    total = await session.scalar(select(func.count()).select_from(Calendar).where(where)) or 0
    rows = await session.scalars(
        select(Calendar).where(where).order_by(Calendar.id).offset(offset).limit(limit)
    )
    return list(rows), total
