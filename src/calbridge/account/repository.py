"""Queries of the accounts table."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account.models import Account
from calbridge.calendar.models import Calendar


async def get_account(session: AsyncSession, workspace_id: int, account_id: int) -> Account | None:
    """The workspace's account with this id, or None."""
    return await session.scalar(
        select(Account).where(Account.workspace_id == workspace_id, Account.id == account_id)
    )


async def list_accounts(session: AsyncSession, workspace_id: int) -> list[Account]:
    """The workspace's accounts, by id."""
    rows = await session.scalars(
        select(Account).where(Account.workspace_id == workspace_id).order_by(Account.id)
    )
    return list(rows)


async def links_calendars(session: AsyncSession, account_id: int) -> bool:
    """Whether any calendar is linked to Google through this account."""
    linked = exists().where(Calendar.google_account_id == account_id)
    return bool(await session.scalar(select(linked)))
