from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.pagination import Paged, paginate
from calbridge.workspace.models import Member, Workspace


async def get_workspace_by_uuid(
    session: AsyncSession, uuid: str, *, lock: bool = False
) -> Workspace | None:
    query = select(Workspace).where(Workspace.uuid == uuid)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def get_member(
    session: AsyncSession, workspace_id: int, member_id: int, *, lock: bool = False
) -> Member | None:
    """The member; with ``lock``, its row is locked for update (PostgreSQL) until commit."""
    query = select(Member).where(Member.workspace_id == workspace_id, Member.id == member_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def members_by_id(
    session: AsyncSession, workspace_id: int, ids: Iterable[int]
) -> dict[int, Member]:
    wanted = set(ids)
    if not wanted:
        return {}
    query = select(Member).where(Member.workspace_id == workspace_id, Member.id.in_(wanted))
    result = await session.scalars(query)
    return {member.id: member for member in result}


async def email_taken(
    session: AsyncSession, workspace_id: int, email: str, *, except_id: int | None = None
) -> bool:
    query = select(Member.id).where(Member.workspace_id == workspace_id, Member.email == email)
    if except_id is not None:
        query = query.where(Member.id != except_id)
    return (await session.scalar(query)) is not None


async def page_members(
    session: AsyncSession, workspace_id: int, *, page: int, size: int
) -> Paged[Member]:
    query = select(Member).where(Member.workspace_id == workspace_id).order_by(Member.id)
    return await paginate(session, query, page=page, size=size)


async def list_workspaces(session: AsyncSession) -> list[Workspace]:
    """Every workspace, oldest first (for the operator's ``workspace list``)."""
    return list(await session.scalars(select(Workspace).order_by(Workspace.id)))


async def uuids_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    """The uuid of each workspace of ``ids`` that exists."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Workspace.id, Workspace.uuid).where(Workspace.id.in_(wanted))
    )
    return {row.id: row.uuid for row in rows}
