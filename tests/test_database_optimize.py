"""SQLite's planner statistics are kept fresh: the worker runs ``PRAGMA optimize`` (issue 10),
which analyses the tables the app has been querying. On a SQLite database of its own, since
statistics outlive the rows that made them and would reach other tests' plans."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from calbridge.outbox.registry import JobRegistry
from calbridge.outbox.worker import Worker
from calbridge.services import Services
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase, create_database, drop_database


@pytest.fixture(scope="module")
async def own_sqlite(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TestDatabase]:
    database = await create_database("sqlite", tmp_path_factory.mktemp("optimize"))
    yield database
    await drop_database(database)


@pytest.fixture
def test_db(own_sqlite: TestDatabase) -> TestDatabase:
    return own_sqlite


async def analysed_tables(test_db: TestDatabase) -> set[str]:
    async with test_db.database.session(write=False) as session:
        found = await session.scalar(
            text("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'")
        )
        if not found:
            return set()
        return set(await session.scalars(text("SELECT DISTINCT tbl FROM sqlite_stat1")))


async def test_the_worker_keeps_sqlite_statistics_fresh(
    test_db: TestDatabase, ws: WorkspaceFixture, services: Services
) -> None:
    calendar = await ws.calendar(allowOverlap=False)
    for day in range(1, 21):
        await ws.event(
            calendar["id"],
            startTime=f"2026-04-{day:02}T09:00:00",
            endTime=f"2026-04-{day:02}T10:00:00",
        )
    window = {
        "calendarId": calendar["id"],
        "startDate": "2026-04-01T00:00:00",
        "endDate": "2026-04-30T00:00:00",
    }
    assert (await ws.get("/calendar-events", params=window)).json()["total"] == 20
    assert await analysed_tables(test_db) == set()  # SQLite never analyses by itself

    worker = Worker(services, JobRegistry())
    worker.start()
    try:
        async with asyncio.timeout(20):
            while "events" not in await analysed_tables(test_db):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        await worker.stop()
    assert {"events", "calendars"} <= await analysed_tables(test_db)
