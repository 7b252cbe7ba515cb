"""``calbridge workspace …`` and ``calbridge account …``: create and list."""

from __future__ import annotations

from typing import Annotated

import typer

from calbridge.account.models import Account
from calbridge.account.service import create_account, list_accounts
from calbridge.cli.common import emit, emit_all, run, with_database, workspace_by_uuid
from calbridge.db import Database
from calbridge.workspace import repository
from calbridge.workspace.models import Workspace
from calbridge.workspace.service import create_workspace

workspace_app = typer.Typer(help="Workspaces.", no_args_is_help=True)
account_app = typer.Typer(help="Accounts.", no_args_is_help=True)


def describe_workspace(workspace: Workspace) -> dict[str, object]:
    return {"uuid": workspace.uuid, "name": workspace.name, "timezone": workspace.timezone}


def describe_account(account: Account) -> dict[str, object]:
    return {
        "id": account.id,
        "name": account.name,
        "googleCalendarUsed": account.google_calendar_used,
        "createdAt": account.created_at.isoformat(),
    }


@workspace_app.command("create")
def workspace_create(
    name: Annotated[str, typer.Option()],
    timezone: Annotated[str, typer.Option()] = "UTC",
) -> None:
    """Create a workspace."""

    async def work(db: Database) -> None:
        async with db.transaction() as session:
            workspace = await create_workspace(session, name=name, timezone=timezone)
        emit(describe_workspace(workspace))

    run(with_database(work))


@workspace_app.command("list")
def workspace_list() -> None:
    """List every workspace, one JSON object per line (oldest first)."""

    async def work(db: Database) -> None:
        async with db.session(write=False) as session:
            workspaces = await repository.list_workspaces(session)
        emit_all(workspaces, describe_workspace, "no workspaces")

    run(with_database(work))


@account_app.command("create")
def account_create(
    workspace: Annotated[str, typer.Option(help="Workspace uuid")],
    name: Annotated[str, typer.Option()],
) -> None:
    """Create an account (its Google Calendar use is off, read and write flags on)."""

    async def work(db: Database) -> None:
        found = await workspace_by_uuid(db, workspace)
        async with db.transaction() as session:
            account = await create_account(session, found, name=name)
        emit({"id": account.id, "name": account.name})

    run(with_database(work))


@account_app.command("list")
def account_list(workspace: Annotated[str, typer.Option(help="Workspace uuid")]) -> None:
    """List the workspace's accounts, one JSON object per line."""

    async def work(db: Database) -> None:
        found = await workspace_by_uuid(db, workspace)
        async with db.session(write=False) as session:
            accounts = await list_accounts(session, found)
        emit_all(accounts, describe_account, "no accounts")

    run(with_database(work))
