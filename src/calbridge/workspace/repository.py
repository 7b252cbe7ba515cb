from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.workspace.models import Member, Workspace


async def get_workspace_by_uuid(session: AsyncSession, uuid: str) -> Workspace | None:
    return await session.scalar(select(Workspace).where(Workspace.uuid == uuid))


async def get_member(session: AsyncSession, workspace_id: int, member_id: int) -> Member | None:
    return await session.scalar(
        select(Member).where(Member.workspace_id == workspace_id, Member.id == member_id)
    )


async def members_by_id(
    session: AsyncSession, workspace_id: int, ids: Iterable[int]
) -> dict[int, Member]:
    wanted = set(ids)
    if not wanted:
        return {}
    result = await session.scalars(
        select(Member).where(Member.workspace_id == workspace_id, Member.id.in_(wanted))
    )
    return {member.id: member for member in result}


async def email_taken(
    session: AsyncSession, workspace_id: int, email: str, *, except_id: int | None = None
) -> bool:
    query = select(Member.id).where(Member.workspace_id == workspace_id, Member.email == email)
    if except_id is not None:
        query = query.where(Member.id != except_id)
    return (await session.scalar(query)) is not None


async def page_members(
    session: AsyncSession, workspace_id: int, *, offset: int, limit: int
) -> tuple[list[Member], int]:
    where = Member.workspace_id == workspace_id
    total = await session.scalar(select(func.count()).select_from(Member).where(where)) or 0
    rows = await session.scalars(
        select(Member).where(where).order_by(Member.id).offset(offset).limit(limit)
    )
    return list(rows), total
