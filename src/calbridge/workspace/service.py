"""Workspaces and their members."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account.models import Account
from calbridge.calendar.models import Calendar
from calbridge.errors import Conflict, NotFound
from calbridge.event.models import Attendee
from calbridge.timezones import load_timezone
from calbridge.workspace import repository
from calbridge.workspace.models import Member, Workspace
from calbridge.workspace.schemas import MemberCreate, MemberUpdate


async def create_workspace(session: AsyncSession, *, name: str, timezone: str = "UTC") -> Workspace:
    load_timezone(timezone)
    workspace = Workspace(name=name, timezone=timezone)
    session.add(workspace)
    await session.flush()
    return workspace


async def update_workspace(
    session: AsyncSession, workspace: Workspace, *, name: str, timezone: str
) -> Workspace:
    """Rename the workspace and change its time zone (checked as at create)."""
    load_timezone(timezone)
    workspace.name, workspace.timezone = name, timezone
    await session.flush()
    return workspace


async def delete_workspace(session: AsyncSession, uuid: str) -> None:
    """A workspace goes only once it holds no calendars, members or accounts (each of those has
    its own deletion with its own refusals, and an account's Google grant must be revoked, which
    a cascade would skip). Its API tokens and event rules go with it. The row is locked first, so
    a calendar created at the same moment either lands before the check (409) or fails on the
    missing workspace."""
    workspace = await repository.get_workspace_by_uuid(session, uuid, lock=True)
    if workspace is None:
        raise NotFound("Workspace")
    for model, what in ((Calendar, "calendars"), (Member, "members"), (Account, "accounts")):
        if await session.scalar(select(exists().where(model.workspace_id == workspace.id))):
            raise Conflict(
                f"This workspace still has {what}; delete them first.",
                code="workspace_not_empty",
            )
    await session.delete(workspace)
    await session.flush()


async def get_member(session: AsyncSession, workspace: Workspace, member_id: int) -> Member:
    member = await repository.get_member(session, workspace.id, member_id)
    if member is None:
        raise NotFound("Member")
    return member


async def create_member(session: AsyncSession, workspace: Workspace, data: MemberCreate) -> Member:
    if await repository.email_taken(session, workspace.id, data.email):
        raise Conflict("A member with this email already exists.", code="member_exists")
    member = Member(workspace_id=workspace.id, name=data.name, email=data.email)
    session.add(member)
    await _flush_unique_email(session)
    return member


async def update_member(
    session: AsyncSession, workspace: Workspace, member_id: int, data: MemberUpdate
) -> Member:
    member = await get_member(session, workspace, member_id)
    if data.email is not None and await repository.email_taken(
        session, workspace.id, data.email, except_id=member.id
    ):
        raise Conflict("A member with this email already exists.", code="member_exists")
    if data.name is not None:
        member.name = data.name
    if data.email is not None:
        member.email = data.email
    await _flush_unique_email(session)
    return member


async def _flush_unique_email(session: AsyncSession) -> None:
    """The check above cannot see a twin request's uncommitted member; the unique constraint
    can, and its violation means the same thing."""
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("A member with this email already exists.", code="member_exists") from None


async def delete_member(session: AsyncSession, workspace: Workspace, member_id: int) -> None:
    """A member who attends events stays: removing them would rewrite those events' history
    without their own change record. Remove them from the events first. The member's row is
    locked first, so a booking that is adding them either finishes before the check (409) or
    finds them gone (422 member_not_found), never a foreign-key error."""
    member = await repository.get_member(session, workspace.id, member_id, lock=True)
    if member is None:
        raise NotFound("Member")
    attending = await session.scalar(
        select(Attendee.event_id).where(Attendee.member_id == member.id)
    )
    if attending is not None:
        raise Conflict(
            "This member attends events; remove them from those events first.", code="member_in_use"
        )
    await session.delete(member)
    await session.flush()
