"""``calbridge jobs``: what the outbox holds, what failed and why, and a retry."""

from __future__ import annotations

from typing import Annotated

import typer

from calbridge.cli.common import emit, emit_all, fail, run, with_database
from calbridge.db import Database
from calbridge.outbox import repository
from calbridge.outbox.models import OutboxJob

jobs = typer.Typer(help="The outbox of after-commit work.", no_args_is_help=True)


def describe(job: OutboxJob) -> dict[str, object]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "attempts": job.attempts,
        "maxAttempts": job.max_attempts,
        "runAfter": job.run_after.isoformat(),
        "lastError": job.last_error,
        "payload": job.payload,
    }


@jobs.command("list")
def list_jobs(
    failed: Annotated[bool, typer.Option("--failed", help="Only failed jobs")] = False,
    limit: int = 100,
) -> None:
    """List jobs that wait or failed (newest first), one JSON object per line."""

    async def work(db: Database) -> None:
        async with db.session(write=False) as session:
            found = await repository.list_jobs(session, failed_only=failed, limit=limit)
        emit_all(found, describe, "no failed jobs" if failed else "no jobs")

    run(with_database(work))


@jobs.command("retry")
def retry(job_id: int) -> None:
    """Run a failed job again (now, with its attempts reset)."""

    async def work(db: Database) -> None:
        async with db.transaction() as session:
            job = await repository.retry_job(session, job_id)
            if job is None:
                fail(f"job {job_id} does not exist or is running or done: nothing to retry")
            emit(describe(job))

    run(with_database(work))
