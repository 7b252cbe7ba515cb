"""``calbridge worker`` as operators run it (a process of its own): ``--concurrency`` runs jobs
at once, and SIGTERM finishes the running job, or after ``--grace`` gives it back, then exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from calbridge.outbox.models import OutboxJob
from calbridge.rules.actions.jobs import RUN_ACTION
from tests.rules.conftest import Receiver, make_rule, runs
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase

CALBRIDGE = Path(sys.executable).with_name("calbridge")
Start = Callable[..., "asyncio.Future[asyncio.subprocess.Process]"]


@pytest.fixture
async def start_worker(
    test_db: TestDatabase, tmp_path: Path
) -> AsyncIterator[Callable[..., object]]:
    # The app that saves the rules (rules_settings) allows 127.0.0.1 too, as the worker does
    # (the same environment in production; a 422 at save otherwise).
    env = test_db.command_env() | {
        "CALBRIDGE_WEBHOOK_ALLOWED_PRIVATE_HOSTS": '["127.0.0.1"]',
        "CALBRIDGE_WEBHOOK_TIMEOUT_SECONDS": "600",
    }
    started: list[asyncio.subprocess.Process] = []

    async def start(*options: str) -> asyncio.subprocess.Process:
        with (tmp_path / "worker.log").open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                str(CALBRIDGE), "worker", "--poll", "0.05", *options, env=env, stderr=log
            )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.wait()
    print((tmp_path / "worker.log").read_text())  # shown when the test failed


async def requests_arrived(receiver: Receiver, count: int) -> None:
    async with asyncio.timeout(60):
        while len(receiver.requests) < count:
            await receiver.arrived.wait()
            receiver.arrived.clear()


async def terminate(process: asyncio.subprocess.Process) -> int:
    os.kill(process.pid, signal.SIGTERM)
    async with asyncio.timeout(60):
        return await process.wait()


async def action_jobs(test_db: TestDatabase) -> list[OutboxJob]:
    async with test_db.database.session(write=False) as session:
        query = select(OutboxJob).where(OutboxJob.kind == RUN_ACTION).order_by(OutboxJob.id)
        return list(await session.scalars(query))


async def test_sigterm_lets_the_running_delivery_finish_then_exits_0(
    ws: WorkspaceFixture, receiver: Receiver, test_db: TestDatabase, start_worker: Start
) -> None:
    calendar = await ws.calendar()
    rule = await make_rule(ws, actions=[{"type": "webhook", "url": receiver.url}])
    receiver.answers = [(200, 2.0)]  # answers a while after the worker is told to stop
    process = await start_worker()
    await ws.event(calendar["id"])
    await requests_arrived(receiver, 1)

    assert await terminate(process) == 0
    [run] = await runs(ws, rule["id"])
    assert run["actions"][0]["status"] == "succeeded"
    assert run["actions"][0]["attemptLog"][0]["responseStatus"] == 200
    assert [job.status for job in await action_jobs(test_db)] == ["done"]


async def test_concurrent_jobs_and_a_grace_that_runs_out_gives_them_back(
    ws: WorkspaceFixture, receiver: Receiver, test_db: TestDatabase, start_worker: Start
) -> None:
    calendar = await ws.calendar()
    for name in ("first", "second"):
        await make_rule(ws, name=name, actions=[{"type": "webhook", "url": receiver.url}])
    receiver.answers = [(200, 3600.0), (200, 3600.0)]  # receivers that hang
    process = await start_worker("--concurrency", "2", "--grace", "0.5")
    await ws.event(calendar["id"])
    # One job at a time could not get the second request out while the first hangs.
    await requests_arrived(receiver, 2)

    assert await terminate(process) == 0
    jobs = await action_jobs(test_db)
    assert [(job.status, job.attempts, job.locked_by) for job in jobs] == [
        ("pending", 0, None),
        ("pending", 0, None),
    ]
