"""A request whose token is due a ``last_used_at`` touch never waits behind a writer: the touch
is skipped while another transaction holds the lock (SQLite's database, PostgreSQL's row), and
made on a later request."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase


async def _last_used(test_db: TestDatabase) -> list[object]:
    async with test_db.database.session(write=False) as session:
        rows = await session.execute(text("SELECT last_used_at FROM api_tokens"))
        return [row[0] for row in rows]


async def test_a_token_touch_does_not_wait_behind_a_writer(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    async with test_db.database.session(write=True) as writer:
        # Another writer holds the lock: SQLite's write lock, PostgreSQL's row locks.
        await writer.execute(text("SELECT id FROM api_tokens FOR UPDATE")
                             if test_db.kind == "postgresql"
                             else text("UPDATE workspaces SET name = name"))  # fmt: skip
        async with asyncio.timeout(10):  # the touch used to wait up to 30 s
            response = await ws.get("/calendars", token="read")
        assert response.status_code == 200, response.text
        await writer.rollback()
    assert await _last_used(test_db) == [None, None, None, None]  # skipped, not waited for

    assert (await ws.get("/calendars", token="read")).status_code == 200
    assert sum(value is not None for value in await _last_used(test_db)) == 1


async def test_a_write_request_touches_its_token_in_its_own_transaction(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    assert (
        await ws.post("/members", json={"name": "Ada", "email": "ada@x.example"})
    ).status_code == 201
    assert sum(value is not None for value in await _last_used(test_db)) == 1  # the "all" token
    # A refused write rolls its transaction back, touch included.
    refused = await ws.post("/calendar-events", json={"title": "no calendar"}, token="write")
    assert refused.status_code == 422
    assert sum(value is not None for value in await _last_used(test_db)) == 1
