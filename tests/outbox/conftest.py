"""Workers on the test database, a clock the tests move by hand, and recording handlers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.db import utcnow
from calbridge.outbox.models import OutboxJob
from calbridge.outbox.registry import JobRegistry
from calbridge.outbox.worker import Worker
from calbridge.services import Services
from calbridge.settings import Settings
from tests.support.databases import TestDatabase


@dataclass
class Recorder:
    """What handlers did, in the order they did it: ("start" | "end", the payload's ``n``, the
    name of the asyncio task that ran it)."""

    events: list[tuple[str, int, str]] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    def starts(self) -> list[int]:
        return [n for what, n, _ in self.events if what == "start"]


@pytest.fixture
def worker_settings(settings: Settings) -> Settings:
    """Quick polls and a short lease, so tests about waiting take a second, not a minute."""
    return settings.model_copy(
        update={
            "worker_poll_seconds": 0.05,
            "worker_lease_seconds": 1.0,
            "worker_batch_size": 4,
            "job_backoff_base_seconds": 10.0,
            "job_backoff_max_seconds": 3600.0,
        }
    )


MakeWorker = Callable[..., Worker]


@pytest.fixture
def jobs() -> JobRegistry:
    """This test's own job kinds (nothing is registered globally)."""
    return JobRegistry()


@pytest.fixture
async def make_worker(
    test_db: TestDatabase, worker_settings: Settings, jobs: JobRegistry
) -> AsyncIterator[MakeWorker]:
    """Build workers on the test database running ``jobs``; any that were started are stopped
    afterwards."""
    made: list[Worker] = []

    def make(
        settings: Settings | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        **kwargs: Any,
    ) -> Worker:
        services = Services.build(
            settings or worker_settings, database=test_db.database, clock=clock
        )
        worker = Worker(services, jobs, **kwargs)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        await worker.stop()


@pytest.fixture
def recorder(jobs: JobRegistry) -> Recorder:
    """Registers ``test.record``: notes its start and end, with a pause between so that
    concurrent runs would show as overlapping."""
    record = Recorder()

    @jobs.handler("test.record")
    async def run(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
        task = asyncio.current_task()
        name = task.get_name() if task else ""
        record.events.append(("start", payload["n"], name))
        record.started.set()
        await asyncio.sleep(payload.get("pause", 0))
        record.events.append(("end", payload["n"], name))

    return record


async def all_jobs(test_db: TestDatabase) -> list[OutboxJob]:
    async with test_db.database.session(write=False) as session:
        return list((await session.scalars(select(OutboxJob).order_by(OutboxJob.id))).all())


async def get_job(test_db: TestDatabase, job_id: int) -> OutboxJob:
    async with test_db.database.session(write=False) as session:
        job = await session.get(OutboxJob, job_id)
        assert job is not None
        return job
