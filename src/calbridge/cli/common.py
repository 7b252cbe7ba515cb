from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, NoReturn, TypeVar

import typer

from calbridge.db import Database
from calbridge.errors import CalbridgeError
from calbridge.settings import Settings, get_settings
from calbridge.workspace import repository as workspace_repository
from calbridge.workspace.models import Workspace

T = TypeVar("T")


def emit(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, default=str))


def emit_all(items: Sequence[T], describe: Callable[[T], dict[str, Any]], none: str) -> None:
    """Print what a ``list`` command found, one JSON object per line; or, on stderr, that it
    found nothing (so stdout stays JSON lines)."""
    for item in items:
        emit(describe(item))
    if not items:
        typer.echo(none, err=True)


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def database(settings: Settings | None = None) -> Database:
    settings = settings or get_settings()
    return Database(settings.database_url, schema=settings.database_schema)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; domain errors become a message on stderr and exit code 1."""
    try:
        return asyncio.run(coroutine)
    except CalbridgeError as error:
        fail(error.detail)
    except ValueError as error:
        fail(str(error))
    raise AssertionError("unreachable")


def require_newest_schema(settings: Settings) -> None:
    """Exit with one clear line unless the database answers and its schema is the newest, so
    ``serve`` and ``worker`` never start on tables they cannot use."""
    from calbridge.ops.schema import schema_state

    async def check() -> str:
        db = database(settings)
        try:
            return (await schema_state(db, settings.database_schema)).describe()
        finally:
            await db.dispose()

    try:
        verdict = asyncio.run(check())
    except Exception as error:
        fail(f"cannot reach the database: {type(error).__name__}: {error}")
    if verdict != "ok":
        fail(f"the database schema is {verdict}")


async def with_database(work: Callable[[Database], Awaitable[T]]) -> T:
    db = database()
    try:
        return await work(db)
    finally:
        await db.dispose()


async def workspace_by_uuid(db: Database, uuid: str) -> Workspace:
    async with db.session(write=False) as session:
        workspace = await workspace_repository.get_workspace_by_uuid(session, uuid)
    if workspace is None:
        typer.echo(f"error: no workspace {uuid}", err=True)
        sys.exit(1)
    return workspace
