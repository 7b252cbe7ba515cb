"""A sleeping worker wakes for new work at once, long before its next poll."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.event import tasks as event_tasks
from calbridge.event.service import EVENT_CHANGED
from calbridge.outbox.registry import JobRegistry
from calbridge.outbox.service import NOTIFY_CHANNEL, JobDeferred, enqueue
from calbridge.settings import Settings
from tests.outbox.conftest import MakeWorker

if TYPE_CHECKING:
    from tests.support.databases import TestDatabase

# Far longer than the tests wait: a job that runs at all was run because the worker woke.
LONG_POLL = 60.0
PROMPTLY = 5.0


@pytest.fixture
def ran(jobs: JobRegistry) -> dict[int, asyncio.Event]:
    events: dict[int, asyncio.Event] = {}

    @jobs.handler("test.wake")
    async def note(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
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


# The fan-out chain: a committed event.changed job → (worker) → a subscriber's job.
SUBSCRIBER = "test.wake.subscriber"
CHAIN_ROUNDS = 8


@pytest.fixture
def subscriber_ran(jobs: JobRegistry) -> dict[int, asyncio.Event]:
    """``event.changed`` fans out to one test subscriber only, which notes the event's id."""
    jobs.include(event_tasks.jobs())
    jobs.subscribe(EVENT_CHANGED, SUBSCRIBER)
    events: dict[int, asyncio.Event] = {}

    @jobs.handler(SUBSCRIBER)
    async def note(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
        events.setdefault(payload["event_id"], asyncio.Event()).set()

    return events


def change(event_id: int) -> dict[str, Any]:
    return {"event_id": event_id, "workspace_id": 1, "change": "created", "before": None,
            "after": {"title": f"Booking {event_id}"}}  # fmt: skip


async def commit_elsewhere(test_db: TestDatabase, event_id: int) -> None:
    """Commit an event.changed job as another process would: on a connection of its own,
    outside this process's sessions (so no in-process commit hook fires); only the trigger's
    NOTIFY can tell the worker."""
    connection = await asyncpg.connect(test_db.url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await connection.execute(
            f"INSERT INTO {test_db.schema}.outbox_jobs (kind, payload, ordering_key, status,"
            " attempts, max_attempts, run_after, created_at, updated_at)"
            " VALUES ($1, $2, $3, 'pending', 0, 8, now(), now(), now())",
            EVENT_CHANGED,
            json.dumps(change(event_id)),
            f"event:{event_id}",
        )
    finally:
        await connection.close()


async def commit_here(test_db: TestDatabase, event_id: int) -> None:
    async with test_db.database.transaction() as session:
        await enqueue(session, EVENT_CHANGED, ordering_key=f"event:{event_id}", **change(event_id))


@pytest.mark.parametrize("committer", ["this process", "another process"])
async def test_each_change_reaches_its_subscriber_long_before_the_next_poll(
    test_db: TestDatabase,
    make_worker: MakeWorker,
    worker_settings: Settings,
    subscriber_ran: dict[int, asyncio.Event],
    committer: str,
) -> None:
    """Both steps of the chain wake the sleeping worker: the change's commit, and then the
    fan-out job its own transaction enqueued. Several rounds, each after the worker has fallen
    asleep again, so that a wake-up lost in any of them shows."""
    if committer == "another process" and test_db.kind != "postgresql":
        pytest.skip("only PostgreSQL wakes a worker for a commit made in another process")
    commit = commit_elsewhere if committer == "another process" else commit_here
    worker = make_worker(worker_settings.model_copy(update={"worker_poll_seconds": LONG_POLL}))
    worker.start()
    await asyncio.sleep(0.3)  # listening, and asleep for the long poll

    for event_id in range(1, CHAIN_ROUNDS + 1):
        await commit(test_db, event_id)
        await asyncio.wait_for(
            subscriber_ran.setdefault(event_id, asyncio.Event()).wait(), PROMPTLY
        )
        await asyncio.sleep(0.3)  # the worker finishes its pass and falls asleep again


@pytest.mark.parametrize("first_attempt", ["fails", "waits"])
async def test_a_job_due_later_runs_when_it_is_due_not_at_the_next_poll(
    test_db: TestDatabase,
    make_worker: MakeWorker,
    worker_settings: Settings,
    first_attempt: str,
    jobs: JobRegistry,
) -> None:
    """A retry after a failure (or a job that asked to wait) becomes due without any commit to
    wake the worker for it: the sleeping worker must still wake when it is due."""
    attempts: list[int] = []
    second = asyncio.Event()

    @jobs.handler("test.wake.later")
    async def flaky(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            if first_attempt == "waits":
                raise JobDeferred("not yet", seconds=0.3)
            raise RuntimeError("the first attempt fails")
        second.set()

    quick_retry = {"worker_poll_seconds": LONG_POLL, "job_backoff_base_seconds": 0.4}
    worker = make_worker(worker_settings.model_copy(update=quick_retry))
    worker.start()
    async with test_db.database.transaction() as session:
        await enqueue(session, "test.wake.later")

    await asyncio.wait_for(second.wait(), PROMPTLY)
    assert attempts == [1, 2]


async def test_a_notify_for_another_schema_does_not_wake_the_worker(
    make_worker: MakeWorker,
) -> None:
    worker = make_worker()
    worker._schema = "ours"
    worker._notified(None, 1, "calbridge_outbox", "theirs")
    assert not worker._wake.is_set()
    worker._notified(None, 1, "calbridge_outbox", "ours")
    assert worker._wake.is_set()
