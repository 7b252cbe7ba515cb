from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer
import uvicorn

from calbridge.account.service import create_account
from calbridge.admin.service import create_admin_user
from calbridge.auth.service import create_token
from calbridge.cli.common import (
    database,
    emit,
    require_newest_schema,
    run,
    with_database,
    workspace_by_uuid,
)
from calbridge.cli.dev import dev
from calbridge.cli.jobs import jobs
from calbridge.cli.keys import keys
from calbridge.db import Database
from calbridge.migrate import upgrade
from calbridge.settings import get_settings
from calbridge.workspace.service import create_workspace

app = typer.Typer(
    help="calbridge: calendars, bookings, Google sync and event rules.",
    no_args_is_help=True,
    add_completion=False,
)
workspace_app = typer.Typer(help="Workspaces.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
account_app = typer.Typer(help="Accounts.", no_args_is_help=True)
admin_app = typer.Typer(help="Admin-panel users.", no_args_is_help=True)
app.add_typer(workspace_app, name="workspace")
app.add_typer(token_app, name="token")
app.add_typer(account_app, name="account")
app.add_typer(admin_app, name="admin")
app.add_typer(jobs, name="jobs")
app.add_typer(keys, name="keys")
app.command("dev")(dev)


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest version."""
    settings = get_settings()
    upgrade(settings.database_url, settings.database_schema)
    typer.echo("database is up to date", err=True)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Run no worker here")] = False,
) -> None:
    """Run the HTTP server (API + admin). On SQLite the worker runs in-process too."""
    from calbridge.app import create_app

    settings = get_settings()
    require_newest_schema(settings)
    application = create_app(settings, run_worker=settings.is_sqlite and not no_worker)
    uvicorn.run(application, host=host, port=port, log_level=settings.log_level.lower())


@app.command()
def worker() -> None:
    """Run the after-commit worker (Google sync, event rules) until SIGTERM or Ctrl-C."""
    from calbridge.outbox.worker import Worker

    require_newest_schema(get_settings())

    async def main() -> None:
        db = database()
        runner = Worker(db, get_settings())
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        task = runner.start()
        await stopping.wait()
        await runner.stop()
        await task
        await db.dispose()

    asyncio.run(main())


@workspace_app.command("create")
def workspace_create(
    name: Annotated[str, typer.Option()],
    timezone: Annotated[str, typer.Option()] = "UTC",
) -> None:
    """Create a workspace."""

    async def work(db: Database) -> None:
        async with db.transaction() as session:
            workspace = await create_workspace(session, name=name, timezone=timezone)
        emit({"uuid": workspace.uuid, "name": workspace.name, "timezone": workspace.timezone})

    run(with_database(work))


@token_app.command("create")
def token_create(
    workspace: Annotated[str, typer.Option(help="Workspace uuid")],
    scopes: Annotated[str, typer.Option(help="Comma-separated, e.g. calendars:read")],
    name: Annotated[str, typer.Option()] = "cli",
) -> None:
    """Create an API token; the token is shown only now."""

    async def work(db: Database) -> None:
        found = await workspace_by_uuid(db, workspace)
        async with db.transaction() as session:
            issued = await create_token(
                session,
                found,
                scopes=[s.strip() for s in scopes.split(",") if s.strip()],
                name=name,
            )
        emit({"id": issued.token.id, "token": issued.secret, "scopes": issued.token.scopes})

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


@admin_app.command("create-user")
def admin_create_user(
    email: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
) -> None:
    """Create an admin-panel sign-in."""

    async def work(db: Database) -> None:
        async with db.transaction() as session:
            user = await create_admin_user(session, email=email, password=password)
        emit({"id": user.id, "email": user.email})

    run(with_database(work))


def main() -> None:
    app()
