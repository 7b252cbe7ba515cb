"""Every query on the outbox: claiming due jobs, recording how they ended, and the admin views.

A claimed job is ``running`` with ``locked_by`` (the worker's name) and ``locked_until`` (its
lease). Every write that ends a run checks ``locked_by`` first: a worker that outlived its lease
may find the job claimed again by another, and must then leave the other's result alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from calbridge.db import utcnow
from calbridge.outbox.models import OutboxJob
from calbridge.statuses import JobStatus

# How much of an error message is kept on the job (the admin panel shows it).
MAX_ERROR_CHARS = 2000


def _due(now: datetime) -> ColumnElement[bool]:
    """Jobs a worker may claim at ``now``: pending and due, or running on an expired lease
    (their worker died), and not queued behind an earlier unfinished job with the same key."""
    earlier = aliased(OutboxJob)
    queued_behind = (
        select(earlier.id)
        .where(
            earlier.ordering_key == OutboxJob.ordering_key,
            earlier.id < OutboxJob.id,
            earlier.status.in_((JobStatus.PENDING, JobStatus.RUNNING)),
        )
        .exists()
    )
    return and_(
        or_(
            and_(OutboxJob.status == JobStatus.PENDING, OutboxJob.run_after <= now),
            and_(OutboxJob.status == JobStatus.RUNNING, OutboxJob.locked_until < now),
        ),
        or_(OutboxJob.ordering_key.is_(None), ~queued_behind),
    )


async def claim_jobs(
    session: AsyncSession, *, worker: str, now: datetime, lease_seconds: float, limit: int
) -> list[OutboxJob]:
    """Mark up to ``limit`` due jobs as running for ``worker``, oldest first.

    The caller commits at once, before running any of them. On PostgreSQL the rows are read
    ``FOR UPDATE SKIP LOCKED``, so two workers claiming at the same moment get different jobs
    (and a row another claim has just taken is re-checked, and skipped as no longer due). On
    SQLite the session is a write session (``BEGIN IMMEDIATE``), so claims are serialised and
    the ``FOR UPDATE`` clause is left out by the dialect.

    A batch holds at most one job per ordering key, because a later job with the same key is
    queued behind the earlier one until it has finished.
    """
    query = (
        select(OutboxJob)
        .where(_due(now))
        .order_by(OutboxJob.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboxJob)
    )
    jobs = list((await session.scalars(query)).all())
    locked_until = now + timedelta(seconds=lease_seconds)
    for job in jobs:
        job.status = JobStatus.RUNNING
        job.locked_by = worker
        job.locked_until = locked_until
        job.attempts += 1
    await session.flush()
    return jobs


async def has_work(session: AsyncSession, *, now: datetime) -> bool:
    """Whether any job is due now or running (on any worker)."""
    query = select(exists().where(or_(_due(now), OutboxJob.status == JobStatus.RUNNING)))
    return bool(await session.scalar(query))


async def next_due_at(session: AsyncSession, *, now: datetime) -> datetime | None:
    """When the next pending job that waits for its time (a retry's backoff, a deferral, a
    webhook's next attempt) becomes due, if after ``now``; None if no job waits. No commit
    wakes a worker for such a job, so an idle worker sleeps no longer than this."""
    query = select(func.min(OutboxJob.run_after)).where(
        OutboxJob.status == JobStatus.PENDING, OutboxJob.run_after > now
    )
    due: datetime | None = await session.scalar(query)
    return due


async def count_by_kind_and_status(session: AsyncSession) -> dict[tuple[str, str], int]:
    """How many jobs of each kind are in each status (for ``/metrics``)."""
    query = select(OutboxJob.kind, OutboxJob.status, func.count()).group_by(
        OutboxJob.kind, OutboxJob.status
    )
    return {(kind, status): count for kind, status, count in (await session.execute(query))}


async def oldest_due_at(session: AsyncSession, *, now: datetime) -> datetime | None:
    """Since when the longest-waiting due job has been due (None when none is due): a queue
    the workers do not keep up with shows here first."""
    query = select(func.min(OutboxJob.run_after)).where(
        OutboxJob.status == JobStatus.PENDING, OutboxJob.run_after <= now
    )
    due: datetime | None = await session.scalar(query)
    return due


async def _update_held(session: AsyncSession, job_id: int, worker: str, **values: Any) -> bool:
    """Update the job only while ``worker`` still holds it; True if it did."""
    statement = (
        update(OutboxJob)
        .where(
            OutboxJob.id == job_id,
            OutboxJob.status == JobStatus.RUNNING,
            OutboxJob.locked_by == worker,
        )
        .values(**values)
        .returning(OutboxJob.id)
        .execution_options(synchronize_session=False)
    )
    return (await session.scalar(statement)) is not None


async def renew_lease(
    session: AsyncSession, job_id: int, *, worker: str, locked_until: datetime
) -> bool:
    """Extend the lease of a job ``worker`` holds. False if it has lost the job."""
    return await _update_held(session, job_id, worker, locked_until=locked_until)


async def finish_job(session: AsyncSession, job_id: int, *, worker: str, now: datetime) -> bool:
    """Mark the job done. Runs in the handler's transaction, so the handler's writes and the
    ``done`` commit together; False (the caller rolls back) if ``worker`` lost the job."""
    return await _update_held(
        session,
        job_id,
        worker,
        status=JobStatus.DONE,
        finished_at=now,
        last_error=None,
        locked_by=None,
        locked_until=None,
    )


async def fail_job(
    session: AsyncSession,
    job_id: int,
    *,
    worker: str,
    now: datetime,
    error: str,
    retry_at: datetime | None,
) -> bool:
    """Record a failed attempt: back to pending until ``retry_at``, or failed for good when
    ``retry_at`` is None. False if ``worker`` no longer holds the job."""
    values: dict[str, Any] = {
        "last_error": error[:MAX_ERROR_CHARS],
        "locked_by": None,
        "locked_until": None,
    }
    if retry_at is None:
        values.update(status=JobStatus.FAILED, finished_at=now)
    else:
        values.update(status=JobStatus.PENDING, run_after=retry_at)
    return await _update_held(session, job_id, worker, **values)


async def defer_job(
    session: AsyncSession, job_id: int, *, worker: str, run_after: datetime, note: str
) -> bool:
    """Put a job ``worker`` holds back to pending until ``run_after``, without counting the
    attempt (the handler raised ``JobDeferred``: it waits for something, it did not fail)."""
    return await _update_held(
        session,
        job_id,
        worker,
        status=JobStatus.PENDING,
        run_after=run_after,
        attempts=OutboxJob.attempts - 1,
        last_error=note[:MAX_ERROR_CHARS],
        locked_by=None,
        locked_until=None,
    )


async def release_job(session: AsyncSession, job_id: int, *, worker: str) -> bool:
    """Give back a claimed job that was never started (the worker is stopping): pending again,
    due at once, and the claim does not count as an attempt."""
    return await _update_held(
        session,
        job_id,
        worker,
        status=JobStatus.PENDING,
        attempts=OutboxJob.attempts - 1,
        locked_by=None,
        locked_until=None,
    )


async def list_jobs(
    session: AsyncSession, *, failed_only: bool = False, limit: int = 100, offset: int = 0
) -> list[OutboxJob]:
    """Jobs that wait, run or failed (done ones are left out), newest first."""
    condition = (
        OutboxJob.status == JobStatus.FAILED if failed_only else OutboxJob.status != JobStatus.DONE
    )
    query = (
        select(OutboxJob).where(condition).order_by(OutboxJob.id.desc()).offset(offset).limit(limit)
    )
    return list((await session.scalars(query)).all())


async def retry_job(
    session: AsyncSession, job_id: int, *, now: datetime | None = None
) -> OutboxJob | None:
    """Make a failed (or waiting) job due now with its attempts reset; its last error stays
    until it runs again. None if there is no such job or it is running or done."""
    job = await session.get(OutboxJob, job_id, with_for_update=True)
    if job is None or job.status not in (JobStatus.FAILED, JobStatus.PENDING):
        return None
    job.status = JobStatus.PENDING
    job.run_after = now or utcnow()
    job.attempts = 0
    job.finished_at = None
    job.locked_by = None
    job.locked_until = None
    await session.flush()
    return job


async def discard_job(session: AsyncSession, job_id: int) -> bool:
    """Delete a job, whatever its state. A worker running it at the time finds it gone and
    rolls back its handler's writes. False if there was no such job."""
    statement = delete(OutboxJob).where(OutboxJob.id == job_id).returning(OutboxJob.id)
    return (await session.scalar(statement)) is not None


async def delete_done_jobs(session: AsyncSession, *, finished_before: datetime) -> int:
    """Delete done jobs that finished before ``finished_before``; returns how many."""
    result = await session.execute(
        delete(OutboxJob).where(
            OutboxJob.status == JobStatus.DONE, OutboxJob.finished_at < finished_before
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
