"""CONTRACT §6: /healthz, /readyz naming the failing check, and serve/worker refusing a schema
that is behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from alembic import command as alembic_command
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from typer.testing import CliRunner

from calbridge.app import create_app
from calbridge.cli.main import app as cli
from calbridge.db import Database
from calbridge.migrate import alembic_config
from calbridge.settings import Settings, get_settings
from tests.support.databases import POSTGRES_URL, TestDatabase

from .conftest import BlankDatabase


async def ready(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get("/readyz")


def unready(response: httpx.Response, failing: str) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "unready"
    assert set(body["checks"]) == {"database", "schema", "worker"}
    assert body["checks"][failing] != "ok"
    return body


@pytest.fixture
async def blank_app(blank_db: BlankDatabase) -> AsyncIterator[FastAPI]:
    database = blank_db.database()
    yield create_app(blank_db.settings(), database=database)
    await database.dispose()


async def test_healthz_and_readyz_answer_200_on_a_migrated_database(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["schema"] == "ok"


async def test_readyz_names_the_schema_on_an_unmigrated_database(blank_app: FastAPI) -> None:
    body = unready(await ready(blank_app), "schema")
    assert body["checks"]["database"] == "ok"
    assert "calbridge migrate" in body["checks"]["schema"]


async def test_readyz_names_the_database_when_postgresql_is_down() -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/calbridge"  # nothing listens on port 1
    database = Database(url)
    try:
        settings = Settings(environment="test", database_url=url)
        body = unready(await ready(create_app(settings, database=database)), "database")
    finally:
        await database.dispose()
    assert "unreachable" in body["checks"]["database"]


async def test_readyz_names_the_schema_when_the_postgresql_schema_is_dropped() -> None:
    if POSTGRES_URL is None:
        pytest.skip("PostgreSQL not configured (set CALBRIDGE_TEST_DATABASE_URL)")
    database = Database(POSTGRES_URL, schema="dropped_schema")
    try:
        settings = Settings(
            environment="test", database_url=POSTGRES_URL, database_schema="dropped_schema"
        )
        body = unready(await ready(create_app(settings, database=database)), "schema")
    finally:
        await database.dispose()
    assert body["checks"]["database"] == "ok"
    assert "calbridge migrate" in body["checks"]["schema"]


async def test_readyz_names_a_dead_in_process_worker(
    settings: Settings, test_db: TestDatabase
) -> None:
    app = create_app(settings, database=test_db.database, run_worker=True)
    async with app.router.lifespan_context(app):
        assert (await ready(app)).status_code == 200
        # The worker's loop ends (as when it dies); the app keeps serving without it.
        await app.state.worker.stop()
        assert app.state.worker_task.done()
        body = unready(await ready(app), "worker")
    assert body["checks"]["worker"] == "stopped"
    assert body["checks"]["database"] == body["checks"]["schema"] == "ok"


def previous_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config(""))
    (head,) = script.get_heads()
    down = script.get_revision(head).down_revision
    assert isinstance(down, str)
    return down


def invoke(blank_db: BlankDatabase, command: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("CALBRIDGE_DATABASE_URL", blank_db.url)
    monkeypatch.setenv("CALBRIDGE_ENVIRONMENT", "test")
    if blank_db.schema:
        monkeypatch.setenv("CALBRIDGE_DATABASE_SCHEMA", blank_db.schema)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, [command])
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("command", ["serve", "worker"])
async def test_serve_and_worker_refuse_a_schema_that_is_behind(
    blank_db: BlankDatabase, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Migrations and the command run their own event loops, so they run in a thread.
    old = previous_revision()
    await asyncio.to_thread(
        alembic_command.upgrade, alembic_config(blank_db.url, blank_db.schema), old
    )
    result = await asyncio.to_thread(invoke, blank_db, command, monkeypatch)
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.strip().splitlines()
    assert f"behind: at {old}" in line
    assert "run `calbridge migrate`" in line


async def test_serve_refuses_an_unmigrated_database(
    blank_db: BlankDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = await asyncio.to_thread(invoke, blank_db, "serve", monkeypatch)
    assert result.exit_code == 1, result.output
    assert "not migrated" in result.stderr
    assert "run `calbridge migrate`" in result.stderr
