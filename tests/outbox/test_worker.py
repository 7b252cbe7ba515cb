"""The worker against a real database: what runs, when, how often, and how failures end."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.outbox.models import OutboxJob
from calbridge.outbox.registry import JobRegistry
from calbridge.outbox.service import enqueue
from calbridge.outside import call_outside
from calbridge.settings import Settings
from tests.outbox.conftest import MakeWorker, Recorder, all_jobs, get_job
from tests.support.clock import StillClock

if TYPE_CHECKING:
    from tests.support.databases import TestDatabase


class BookingFailed(Exception):
    pass


async def test_a_job_from_a_rolled_back_transaction_never_runs(
    test_db: TestDatabase, make_worker: MakeWorker, recorder: Recorder
) -> None:
    with pytest.raises(BookingFailed):
        async with test_db.database.transaction() as session:
            await enqueue(session, "test.record", n=1)
            raise BookingFailed

    await make_worker().drain(timeout=5)

    assert recorder.events == []
    assert await all_jobs(test_db) == []


async def test_a_job_committed_with_its_change_runs_once_and_is_done(
    test_db: TestDatabase, make_worker: MakeWorker, recorder: Recorder
) -> None:
    async with test_db.database.transaction() as session:
        job = await enqueue(session, "test.record", n=1)

    worker = make_worker()
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0

    assert recorder.starts() == [1]
    done = await get_job(test_db, job.id)
    assert (done.status, done.attempts, done.locked_by) == ("done", 1, None)
    assert done.finished_at is not None


async def test_a_failing_job_backs_off_longer_each_time_then_fails_with_its_error(
    test_db: TestDatabase,
    make_worker: MakeWorker,
    jobs: JobRegistry,
) -> None:
    calls = 0

    @jobs.handler("test.flaky")
    async def flaky(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
        nonlocal calls
        calls += 1
        raise ConnectionError(f"Google is down ({calls})")

    async with test_db.database.transaction() as session:
        job = await enqueue(session, "test.flaky", max_attempts=4)
    clock = StillClock()
    worker = make_worker(clock=clock)

    waits = []
    for attempt in (1, 2, 3):
        assert await worker.run_once() == 1
        retried = await get_job(test_db, job.id)
        assert (retried.status, retried.attempts) == ("pending", attempt)
        assert retried.last_error == f"ConnectionError: Google is down ({attempt})"
        assert await worker.run_once() == 0, "ran again before its backoff was over"
        waits.append(retried.run_after - clock.now)
        clock.now = retried.run_after

    assert waits[0] < waits[1] < waits[2]
    assert await worker.run_once() == 1
    failed = await get_job(test_db, job.id)
    assert (failed.status, failed.attempts) == ("failed", 4)
    assert failed.last_error == "ConnectionError: Google is down (4)"
    clock.now = clock.now.replace(year=clock.now.year + 1)
    assert await worker.run_once() == 0
    assert calls == 4


async def test_a_job_nobody_handles_fails_at_once_saying_so(
    test_db: TestDatabase, make_worker: MakeWorker
) -> None:
    async with test_db.database.transaction() as session:
        job = await enqueue(session, "test.unheard_of")

    await make_worker().drain(timeout=5)

    failed = await get_job(test_db, job.id)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.last_error is not None
    assert "no handler" in failed.last_error and "test.unheard_of" in failed.last_error


async def test_a_worker_that_lost_its_lease_rolls_back_and_leaves_the_job_alone(
    test_db: TestDatabase,
    make_worker: MakeWorker,
    jobs: JobRegistry,
) -> None:
    @jobs.handler("test.overtaken")
    async def overtaken(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
        # Meanwhile the lease ran out and another worker claimed the job.
        async with test_db.database.transaction() as other:
            await other.execute(
                update(OutboxJob).where(OutboxJob.id == payload["job"]).values(locked_by="other")
            )
        await enqueue(session, "test.side_effect")

    async with test_db.database.transaction() as session:
        job = await enqueue(session, "test.overtaken")
        job.payload = {"job": job.id}

    assert await make_worker().run_once() == 1

    jobs = await all_jobs(test_db)
    assert [(j.kind, j.status, j.locked_by) for j in jobs] == [
        ("test.overtaken", "running", "other")
    ]


async def test_a_worker_that_lost_its_lease_commits_nothing_it_planned_before_calling_out(
    test_db: TestDatabase, make_worker: MakeWorker, jobs: JobRegistry
) -> None:
    """A handler that calls out commits its plan first, but only while its worker holds the
    job: the plan of a worker whose lease was taken is rolled back, and nothing is called."""
    called: list[str] = []

    async def plan(session: AsyncSession) -> None:
        async with test_db.database.transaction() as other:  # the lease runs out meanwhile
            await other.execute(update(OutboxJob).values(locked_by="other"))
        await enqueue(session, "test.planned")

    async def call(_plan: None) -> None:
        called.append("called")

    async def record(session: AsyncSession, _plan: None, _result: None) -> None:
        await enqueue(session, "test.recorded")

    @jobs.handler("test.calls_out")
    async def calls_out(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
        await call_outside(session, plan, call, record)

    async with test_db.database.transaction() as session:
        await enqueue(session, "test.calls_out")

    assert await make_worker().run_once() == 1

    assert called == []
    assert [(j.kind, j.status, j.locked_by) for j in await all_jobs(test_db)] == [
        ("test.calls_out", "running", "other")
    ]


async def test_jobs_with_one_ordering_key_run_one_at_a_time_in_id_order(
    test_db: TestDatabase, make_worker: MakeWorker, recorder: Recorder
) -> None:
    async with test_db.database.transaction() as session:
        for n in (1, 2, 3):
            await enqueue(session, "test.record", ordering_key="event:1", n=n, pause=0.02)
            await enqueue(session, "test.record", ordering_key=f"other:{n}", n=10 + n)

    await asyncio.gather(make_worker().drain(timeout=10), make_worker().drain(timeout=10))

    ordered = [(what, n) for what, n, _ in recorder.events if n < 10]
    assert ordered == [
        ("start", 1),
        ("end", 1),
        ("start", 2),
        ("end", 2),
        ("start", 3),
        ("end", 3),
    ]
    assert sorted(recorder.starts()) == [1, 2, 3, 11, 12, 13]


async def test_two_workers_never_run_one_job_twice_or_at_once(
    test_db: TestDatabase, make_worker: MakeWorker, recorder: Recorder
) -> None:
    count = 24
    async with test_db.database.transaction() as session:
        for n in range(count):
            await enqueue(session, "test.record", n=n, pause=0.01)

    await asyncio.gather(
        asyncio.create_task(make_worker().drain(timeout=20), name="first"),
        asyncio.create_task(make_worker().drain(timeout=20), name="second"),
    )

    assert sorted(recorder.starts()) == list(range(count))
    running: set[int] = set()
    for what, n, _ in recorder.events:
        if what == "start":
            assert n not in running, f"job {n} started while it was running"
            running.add(n)
        else:
            running.remove(n)
    assert {name for _, _, name in recorder.events} == {"first", "second"}
    assert {job.status for job in await all_jobs(test_db)} == {"done"}


async def test_a_stopping_worker_finishes_the_job_in_hand_and_gives_back_the_rest(
    test_db: TestDatabase, make_worker: MakeWorker, recorder: Recorder
) -> None:
    async with test_db.database.transaction() as session:
        jobs = [await enqueue(session, "test.record", n=n, pause=0.1) for n in (1, 2, 3)]
    worker = make_worker()
    worker.start()
    await asyncio.wait_for(recorder.started.wait(), 10)

    await worker.stop()

    assert [(what, n) for what, n, _ in recorder.events] == [("start", 1), ("end", 1)]
    after = await all_jobs(test_db)
    assert [(j.id, j.status, j.attempts, j.locked_by) for j in after] == [
        (jobs[0].id, "done", 1, None),
        (jobs[1].id, "pending", 0, None),
        (jobs[2].id, "pending", 0, None),
    ]


async def test_a_job_whose_lease_ran_out_while_it_waited_in_a_batch_is_not_run_twice(
    test_db: TestDatabase,
    make_worker: MakeWorker,
    recorder: Recorder,
    worker_settings: Settings,
    jobs: JobRegistry,
) -> None:
    async with test_db.database.transaction() as session:
        await enqueue(session, "test.too_slow")
        await enqueue(session, "test.record", n=2)
    clock = StillClock()
    slow = make_worker(clock=clock)
    other = make_worker(clock=clock)
    overtaken = False

    @jobs.handler("test.too_slow")
    async def too_slow(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
        nonlocal overtaken
        if not overtaken:
            overtaken = True
            # This job takes longer than the whole lease; meanwhile another worker takes over.
            clock.now += timedelta(seconds=2 * worker_settings.worker_lease_seconds)
            assert await other.run_once() == 2

    await slow.run_once()

    assert recorder.starts() == [2]
    assert [job.status for job in await all_jobs(test_db)] == ["done", "done"]


async def test_a_handler_slower_than_its_lease_keeps_its_job(
    test_db: TestDatabase, make_worker: MakeWorker, recorder: Recorder
) -> None:
    """The lease is renewed while the handler runs: another worker never takes the job of a
    slow but living worker (the lease here is 1 s, the handler takes 2.5 s)."""
    async with test_db.database.transaction() as session:
        job = await enqueue(session, "test.record", n=1, pause=2.5)
    slow, other = make_worker(name="slow"), make_worker(name="other")

    running = asyncio.create_task(slow.run_once())
    await recorder.started.wait()
    claimed_by_other = 0
    while not running.done():
        claimed_by_other += await other.run_once()
        await asyncio.sleep(0.2)

    assert await running == 1
    assert claimed_by_other == 0
    assert recorder.starts() == [1]
    done = await get_job(test_db, job.id)
    assert (done.status, done.attempts) == ("done", 1)
