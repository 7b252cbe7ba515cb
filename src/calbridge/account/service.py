"""Accounts and their Google Calendar flags (CONTRACT §4)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account import repository
from calbridge.account.models import Account
from calbridge.errors import Conflict, NotFound
from calbridge.workspace.models import Workspace


async def create_account(session: AsyncSession, workspace: Workspace, *, name: str) -> Account:
    account = Account(workspace_id=workspace.id, name=name)
    session.add(account)
    await session.flush()
    return account


async def rename_account(session: AsyncSession, account: Account, name: str) -> Account:
    account.name = name
    await session.flush()
    return account


async def delete_account(session: AsyncSession, account: Account) -> None:
    """Delete an account no calendar is linked to Google through (else 409 account_in_use: the
    link would end silently). Its Google connection is the caller's to forget first, so the
    grant can be revoked at Google once this commits (``google.service.forget``)."""
    if await repository.links_calendars(session, account.id):
        raise Conflict(
            "Calendars are linked to Google through this account; unlink them first.",
            code="account_in_use",
        )
    await session.delete(account)
    await session.flush()


async def get_account(session: AsyncSession, workspace: Workspace, account_id: int) -> Account:
    account = await repository.get_account(session, workspace.id, account_id)
    if account is None:
        raise NotFound("Account")
    return account


async def list_accounts(session: AsyncSession, workspace: Workspace) -> list[Account]:
    return await repository.list_accounts(session, workspace.id)


async def set_google_flags(
    session: AsyncSession,
    account: Account,
    *,
    used: bool | None = None,
    read: bool | None = None,
    write: bool | None = None,
) -> Account:
    """Turn the account's Google Calendar use and its read/write permissions on or off."""
    if used is not None:
        account.google_calendar_used = used
    if read is not None:
        account.google_read_enabled = read
    if write is not None:
        account.google_write_enabled = write
    await session.flush()
    return account
