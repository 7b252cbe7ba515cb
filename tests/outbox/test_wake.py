"""A sleeping worker wakes for new work at once, long before its next poll."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.outbox.service import NOTIFY_CHANNEL, enqueue, handler
from calbridge.settings import Settings
from tests.outbox.conftest import MakeWorker

if TYPE_CHECKING:
    from tests.support.databases import TestDatabase

# Far longer than the tests wait: a job that runs at all was run because the worker woke.
LONG_POLL = 60.0
PROMPTLY = 5.0


@pytest.fixture
def ran() -> dict[int, asyncio.Event]:
    events: dict[int, asyncio.Event] = {}

    @handler("test.wake")
    async def note(session: AsyncSession, payload: dict[str, Any]) -> None:
        events.setdefault(payload["n"], asyncio.Event()).set()

    return events


async def wait_ran(ran: dict[int, asyncio.Event], n: int) -> None:
    await asyncio.wait_for(ran.setdefault(n, asyncio.Event()).wait(), PROMPTLY)


async def test_a_job_committed_in_this_process_wakes_the_worker(
    test_db: TestDatabase,
    make_worker: MakeWorker,
    worker_settings: Settings,
    ran: dict[int, asyncio.Event],
) -> None:
    worker = make_worker(worker_settings.model_copy(update={"worker_poll_seconds": LONG_POLL}))
    worker.start()
    async with test_db.database.transaction() as session:
        await enqueue(session, "test.wake", n=1)
    await wait_ran(ran, 1)
    # Give the worker a moment to finish its pass and fall asleep for the long poll.
    await asyncio.sleep(0.2)

    async with test_db.database.transaction() as session:
        await enqueue(session, "test.wake", n=2)
    await wait_ran(ran, 2)


async def test_a_notify_from_another_process_wakes_the_worker_on_postgresql(
    test_db: TestDatabase,
    make_worker: MakeWorker,
    worker_settings: Settings,
    ran: dict[int, asyncio.Event],
) -> None:
    if test_db.kind != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite runs its worker in the server process")
    worker = make_worker(worker_settings.model_copy(update={"worker_poll_seconds": LONG_POLL}))
    worker.start()
    await asyncio.sleep(0.2)  # let it start listening and fall asleep

    # Another process: a plain asyncpg connection, so no in-process commit hook fires.
    connection = await asyncpg.connect(test_db.url.replace("postgresql+asyncpg", "postgresql"))
    try:
        async with connection.transaction():
            await connection.execute(
                f"INSERT INTO {test_db.schema}.outbox_jobs (kind, payload, status, attempts,"
                " max_attempts, run_after, created_at, updated_at)"
                " VALUES ('test.wake', $1, 'pending', 0, 8, now(), now(), now())",
                json.dumps({"n": 3}),
            )
            await connection.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
    finally:
        await connection.close()
    await wait_ran(ran, 3)
