"""``calbridge jobs``: what the outbox holds, what failed and why, and a retry."""

from __future__ import annotations

from typing import Annotated

import typer

from calbridge.cli.common import emit, emit_all, fail, run, with_database
from calbridge.db import Database
from calbridge.job_views import views_of
from calbridge.outbox import repository
from calbridge.outbox.views import JobView

jobs = typer.Typer(help="The outbox of after-commit work.", no_args_is_help=True)


@jobs.command("list")
def list_jobs(
    failed: Annotated[bool, typer.Option("--failed", help="Only failed jobs")] = False,
    limit: int = 100,
) -> None:
    """List jobs that wait or failed (newest first), one JSON object per line. A webhook or
    email job shows its delivery's attempts and last error (each attempt is a job of its own)."""

    async def work(db: Database) -> None:
        async with db.session(write=False) as session:
            found = await repository.list_jobs(session, failed_only=failed, limit=limit)
            shown = await views_of(session, found)
        emit_all(shown, JobView.describe, "no failed jobs" if failed else "no jobs")

    run(with_database(work))


@jobs.command("retry")
def retry(job_id: int) -> None:
    """Run a failed job again (now, with its attempts reset)."""

    async def work(db: Database) -> None:
        async with db.transaction() as session:
            job = await repository.retry_job(session, job_id)
            if job is None:
                fail(f"job {job_id} does not exist or is running or done: nothing to retry")
            [view] = await views_of(session, [job])
            emit(view.describe())

    run(with_database(work))
