"""PostgreSQL connections killed under the server (a failover, a restart, an operator's
``pg_terminate_backend``): requests answer 503 with Retry-After, never a 500, and the next
request is served again on fresh connections."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from calbridge.app import create_app
from calbridge.db import Database
from calbridge.settings import Settings
from tests.support.api import WorkspaceFixture, make_workspace
from tests.support.databases import TestDatabase


@pytest.fixture
async def own_database(test_db: TestDatabase) -> AsyncIterator[tuple[Database, str]]:
    if test_db.kind != "postgresql":
        pytest.skip("killing server connections is PostgreSQL's; SQLite has none")
    name = f"calbridge-test-{secrets.token_hex(4)}"
    database = Database(test_db.url, schema=test_db.schema, application_name=name)
    yield database, name
    await database.dispose()


@pytest.fixture
async def ws(
    test_db: TestDatabase, own_database: tuple[Database, str]
) -> AsyncIterator[WorkspaceFixture]:
    """Here, a workspace of an app on ``own_database``, answering faults as a server would."""
    database, _ = own_database
    settings = Settings(
        environment="test", database_url=test_db.url, database_schema=test_db.schema
    )
    transport = httpx.ASGITransport(
        app=create_app(settings, database=database), raise_app_exceptions=False
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield await make_workspace(database, client)


async def _backends(test_db: TestDatabase, name: str, *, what: str, where: str = "") -> int:
    """``what`` over the app's own connections (its application name is unique to the test)."""
    async with test_db.database.session(write=False) as session:
        found = await session.scalar(
            text(f"SELECT {what} FROM pg_stat_activity WHERE application_name = :name {where}"),
            {"name": name},
        )
    return int(found or 0)


async def _kill(test_db: TestDatabase, name: str) -> int:
    return await _backends(test_db, name, what="count(pg_terminate_backend(pid))")


async def _waiting(test_db: TestDatabase, name: str) -> bool:
    return await _backends(test_db, name, what="count(*)", where="AND wait_event_type = 'Lock'") > 0


async def test_connections_killed_mid_request_give_503_then_recover(
    test_db: TestDatabase, own_database: tuple[Database, str], ws: WorkspaceFixture
) -> None:
    _, name = own_database
    calendar = await ws.calendar()
    for _ in range(2):
        # A request waits inside its transaction (behind a lock) when its connection dies.
        async with test_db.database.session(write=True) as blocker:
            await blocker.execute(text("LOCK TABLE events IN ACCESS EXCLUSIVE MODE"))
            body = {
                "calendarId": calendar["id"],
                "title": "Intro",
                "startTime": "2026-04-13T09:00:00",
                "endTime": "2026-04-13T09:30:00",
            }
            pending = asyncio.create_task(ws.post("/calendar-events", json=body))
            async with asyncio.timeout(30):
                while not await _waiting(test_db, name):  # noqa: ASYNC110 (polls SQL)
                    await asyncio.sleep(0.05)
            assert await _kill(test_db, name) > 0
            response = await pending
            await blocker.rollback()
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "database_unavailable"
        assert response.headers["Retry-After"] == "1"
        # The next requests are served on fresh connections.
        assert (await ws.get(f"/calendars/{calendar['id']}")).status_code == 200
        created = await ws.post("/calendar-events", json=body)
        assert created.status_code == 201, created.text
        await ws.delete(f"/calendar-events/{created.json()['id']}")


async def test_connections_killed_while_idle_give_503_then_recover(
    test_db: TestDatabase, own_database: tuple[Database, str], ws: WorkspaceFixture
) -> None:
    """No pre-ping: a connection that died in the pool fails the request that draws it with a
    503 (never a 500), the pool drops it and all older ones, and the next request is served."""
    _, name = own_database
    calendar = await ws.calendar()
    assert (await ws.get(f"/calendars/{calendar['id']}")).status_code == 200
    assert await _kill(test_db, name) > 0  # the pool's idle connections
    first = await ws.get(f"/calendars/{calendar['id']}")
    assert first.status_code == 503, first.text
    assert first.json()["code"] == "database_unavailable"
    assert first.headers["Retry-After"] == "1"
    for _ in range(3):
        assert (await ws.get(f"/calendars/{calendar['id']}")).status_code == 200
