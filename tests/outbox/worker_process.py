"""A worker in a process of its own, for the crash test (``python -m tests.outbox.worker_process
URL SCHEMA MARKER``). Its ``test.crash`` handler notes its start in MARKER, then sleeps until the
test kills the process."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.db import Database
from calbridge.outbox.registry import JobRegistry
from calbridge.outbox.service import enqueue
from calbridge.outbox.worker import Worker
from calbridge.services import Services
from calbridge.settings import Settings

LEASE_SECONDS = 1.0


async def main(url: str, schema: str | None, marker: Path) -> None:
    jobs = JobRegistry()

    @jobs.handler("test.crash")
    async def slow(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
        with marker.open("a") as file:
            file.write("started\n")
        await asyncio.sleep(3600)
        await enqueue(session, "test.crash.finished")

    settings = Settings(
        environment="test",
        database_url=url,
        database_schema=schema,
        worker_poll_seconds=0.05,
        worker_lease_seconds=LEASE_SECONDS,
    )
    services = Services.build(settings, database=Database(url, schema=schema))
    await Worker(services, jobs, name="doomed").run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] or None, Path(sys.argv[3])))
