"""CONTRACT §6: the worker logs its start and stop, and one line for each job's end with its
kind, id, attempt, outcome, duration and error."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.outbox.registry import JobRegistry
from calbridge.outbox.service import JobFailed, enqueue
from calbridge.outbox.worker import Worker
from calbridge.services import Services
from calbridge.settings import Settings
from tests.support.databases import TestDatabase
from tests.support.logs import capture_logs


@pytest.fixture
def kinds() -> JobRegistry:
    jobs = JobRegistry()

    @jobs.handler("test.fine")
    async def fine(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
        return None

    @jobs.handler("test.flaky")
    async def flaky(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
        raise ConnectionError("the receiver answered 500")

    @jobs.handler("test.hopeless")
    async def hopeless(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
        raise JobFailed("Google refused the event as invalid")

    return jobs


async def test_start_stop_and_each_jobs_end_are_logged(
    test_db: TestDatabase, settings: Settings, kinds: JobRegistry
) -> None:
    async with test_db.database.transaction() as session:
        fine = await enqueue(session, "test.fine")
        flaky = await enqueue(session, "test.flaky", max_attempts=3)
        hopeless = await enqueue(session, "test.hopeless")
    quick = settings.model_copy(update={"worker_poll_seconds": 0.05})
    worker = Worker(Services.build(quick, database=test_db.database), kinds)
    with capture_logs() as logs:
        worker.start()
        async with asyncio.timeout(20):
            while len(logs.matching(f"job {hopeless.id} ")) < 1:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        await worker.stop()

    started = logs.matching(f"outbox worker {worker.name} started")
    stopped = logs.matching(f"outbox worker {worker.name} stopped")
    assert len(started) == len(stopped) == 1
    assert logs.lines.index(started[0]) < logs.lines.index(stopped[0])
    (done,) = logs.matching(f"job {fine.id} test.fine ")
    assert re.search(
        rf" INFO .* job {fine.id} test\.fine attempt 1/8: done in \d+\.\d{{3}}s$", done
    )
    (retry,) = logs.matching(f"job {flaky.id} test.flaky ")
    assert " WARNING " in retry
    assert "attempt 1/3: retry in " in retry
    assert retry.endswith(": ConnectionError: the receiver answered 500")
    (failed,) = logs.matching(f"job {hopeless.id} test.hopeless ")
    assert "attempt 1/8: failed in " in failed
    assert failed.endswith(": JobFailed: Google refused the event as invalid")


async def test_json_job_lines_carry_the_fields(
    test_db: TestDatabase, settings: Settings, kinds: JobRegistry
) -> None:
    async with test_db.database.transaction() as session:
        flaky = await enqueue(session, "test.flaky", max_attempts=3)
    with capture_logs(log_format="json") as logs:
        await Worker(Services.build(settings, database=test_db.database), kinds).run_once()
    records = [json.loads(line) for line in logs.lines]
    (record,) = [r for r in records if r.get("job_id") == flaky.id]
    assert record["level"] == "WARNING"
    assert record["logger"] == "calbridge.outbox.worker"
    assert record["job_kind"] == "test.flaky"
    assert record["attempt"] == 1
    assert record["outcome"] == "retry"
    assert record["error"] == "ConnectionError: the receiver answered 500"
    assert isinstance(record["duration_seconds"], float)
