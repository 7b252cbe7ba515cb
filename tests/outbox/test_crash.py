"""A worker killed mid-job: its job runs again, once, after the lease runs out."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.outbox.registry import JobRegistry
from calbridge.outbox.service import enqueue
from tests.outbox.conftest import MakeWorker, all_jobs, get_job

if TYPE_CHECKING:
    from tests.support.databases import TestDatabase

ROOT = Path(__file__).resolve().parents[2]


async def wait_for_file(path: Path, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(30):
        while not await asyncio.to_thread(path.exists):
            assert process.returncode is None, "the worker process exited on its own"
            await asyncio.sleep(0.05)


async def test_the_job_of_a_killed_worker_runs_again_after_its_lease(
    test_db: TestDatabase,
    make_worker: MakeWorker,
    tmp_path: Path,
    jobs: JobRegistry,
) -> None:
    marker = tmp_path / "starts"

    @jobs.handler("test.crash")
    async def quick(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
        with marker.open("a") as file:
            file.write("started\n")
        await enqueue(session, "test.crash.finished")

    @jobs.handler("test.crash.finished")
    async def nothing(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
        pass

    async with test_db.database.transaction() as session:
        job = await enqueue(session, "test.crash")

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.outbox.worker_process",
        test_db.url,
        test_db.schema or "",
        str(marker),
        cwd=ROOT,
    )
    try:
        await wait_for_file(marker, process)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        await process.wait()

    claimed = await get_job(test_db, job.id)
    assert (claimed.status, claimed.locked_by, claimed.attempts) == ("running", "doomed", 1)

    await make_worker().drain(timeout=10)

    finished = await get_job(test_db, job.id)
    assert (finished.status, finished.attempts) == ("done", 2)
    assert marker.read_text().splitlines() == ["started", "started"]
    results = [j for j in await all_jobs(test_db) if j.kind == "test.crash.finished"]
    assert [j.status for j in results] == ["done"]
