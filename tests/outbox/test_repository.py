"""What ``calbridge jobs`` and the admin panel see and do: list, retry, discard."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import update

from calbridge.outbox import repository
from calbridge.outbox.models import OutboxJob
from calbridge.outbox.service import enqueue
from tests.outbox.conftest import MakeWorker, Recorder, all_jobs, get_job
from tests.support.clock import StillClock

if TYPE_CHECKING:
    from tests.support.databases import TestDatabase


async def test_listing_shows_waiting_and_failed_jobs_newest_first(
    test_db: TestDatabase, make_worker: MakeWorker, recorder: Recorder
) -> None:
    async with test_db.database.transaction() as session:
        done = await enqueue(session, "test.record", n=1)
        failed = await enqueue(session, "test.no_such_handler")
    await make_worker().drain(timeout=5)
    async with test_db.database.transaction() as session:
        waiting = await enqueue(session, "test.record", n=2)

    async with test_db.database.session(write=False) as session:
        listed = await repository.list_jobs(session)
        only_failed = await repository.list_jobs(session, failed_only=True)
        first = await repository.list_jobs(session, limit=1)

    assert done.id not in [job.id for job in listed]
    assert [job.id for job in listed] == [waiting.id, failed.id]
    assert [job.id for job in only_failed] == [failed.id]
    assert [job.id for job in first] == [waiting.id]


async def test_a_retried_job_runs_again_now_with_a_fresh_set_of_attempts(
    test_db: TestDatabase, make_worker: MakeWorker, recorder: Recorder
) -> None:
    async with test_db.database.transaction() as session:
        # No handler runs this kind; it is fixed below (as if by a deploy) before the retry.
        job = await enqueue(session, "test.later", max_attempts=3, n=1)
    clock = StillClock()
    worker = make_worker(clock=clock)
    await worker.run_once()
    failed = await get_job(test_db, job.id)
    assert failed.status == "failed"

    async with test_db.database.transaction() as session:
        retried = await repository.retry_job(session, job.id, now=clock.now)
    assert retried is not None
    assert (retried.status, retried.attempts, retried.run_after) == ("pending", 0, clock.now)
    assert retried.last_error == failed.last_error

    async with test_db.database.transaction() as session:
        await session.execute(
            update(OutboxJob).where(OutboxJob.id == job.id).values(kind="test.record")
        )
    assert await worker.run_once() == 1
    ran = await get_job(test_db, job.id)
    assert (ran.status, ran.attempts, ran.last_error) == ("done", 1, None)
    assert recorder.starts() == [1]


async def test_only_failed_or_waiting_jobs_can_be_retried(
    test_db: TestDatabase, make_worker: MakeWorker, recorder: Recorder
) -> None:
    async with test_db.database.transaction() as session:
        job = await enqueue(session, "test.record", n=1)
    await make_worker().drain(timeout=5)

    async with test_db.database.transaction() as session:
        assert await repository.retry_job(session, job.id) is None
        assert await repository.retry_job(session, job.id + 1000) is None
    assert (await get_job(test_db, job.id)).status == "done"


async def test_a_discarded_job_is_gone_and_never_runs(
    test_db: TestDatabase, make_worker: MakeWorker, recorder: Recorder
) -> None:
    async with test_db.database.transaction() as session:
        job = await enqueue(session, "test.record", n=1)

    async with test_db.database.transaction() as session:
        assert await repository.discard_job(session, job.id) is True
        assert await repository.discard_job(session, job.id) is False
    await make_worker().drain(timeout=5)

    assert await all_jobs(test_db) == []
    assert recorder.events == []


async def test_done_jobs_past_their_retention_are_deleted_and_failed_ones_kept(
    test_db: TestDatabase, make_worker: MakeWorker, recorder: Recorder
) -> None:
    async with test_db.database.transaction() as session:
        old = await enqueue(session, "test.record", n=1)
        failed = await enqueue(session, "test.no_such_handler")
    clock = StillClock()  # after the enqueue, so both jobs are due
    worker = make_worker(clock=clock)
    await worker.drain(timeout=5)
    clock.now += timedelta(hours=worker.settings.job_retention_hours + 1)
    async with test_db.database.transaction() as session:
        recent = await enqueue(session, "test.record", n=2)
    await worker.drain(timeout=5)

    assert await worker.delete_old_jobs() == 1
    remaining = {job.id: job.status for job in await all_jobs(test_db)}
    assert old.id not in remaining
    assert remaining == {failed.id: "failed", recent.id: "done"}
