"""The after-commit worker: claims due outbox jobs and runs their handlers.

One run of a job, step by step:

1. **Claim** (its own short write transaction, committed before any handler runs): up to
   ``worker_batch_size`` due jobs become ``running`` with this worker's name and a lease of
   ``worker_lease_seconds``, and their attempt is counted. See ``repository.claim_jobs`` for why
   two workers never claim the same job.
2. **Run**: the handler (``registry.py``) gets a fresh write session, the payload and the
   worker's context (``handler(session, payload, ctx)``). ``done`` is written in that same
   transaction, and only if this worker still holds the job, so the handler's writes and
   ``done`` commit together or not at all: a worker that outlived its lease (another worker has
   claimed the job again) rolls back instead of committing its writes a second time. A handler
   that calls out (``calbridge.outside``) commits its plan first, and only while it still holds
   the job (``commit_plan``); what it records commits with ``done``.
3. **Fail**: the handler's transaction rolls back, and the job goes back to pending with a
   backoff (``backoff.py``) or, once ``max_attempts`` are spent (or at once if the handler
   raised ``JobFailed``), to ``failed`` with its error; the kind's ``on_failure`` hook runs in
   that transaction. The backoff is the kind's retry policy (default: the settings'). A
   handler that raises ``JobDeferred`` is not failing but waiting: the job goes back to
   pending for the given time and the attempt is not counted.

A worker that dies (SIGKILL, power loss) leaves its jobs ``running``; when their lease runs out,
any worker claims them again. A handler must therefore be safe to run again after a crash, and
should finish well within the lease.

The worker sleeps ``worker_poll_seconds`` between polls, but wakes at once after a commit in this
process that added jobs, and, on PostgreSQL, on ``NOTIFY calbridge_outbox`` from any process. A job
that becomes due later (a retry after its backoff, a deferred job, a webhook's next attempt) has
no commit to announce it, so an idle worker sleeps no longer than until the next such job is due.
Every ``worker_schedule_seconds`` it also runs the periodic functions (``tick``), which enqueue
work that is due by time (the Google mirror's fallback poll and channel renewal). Every
``CLEANUP_INTERVAL_SECONDS`` it deletes old done jobs and, on SQLite, runs ``PRAGMA optimize``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from asgi_correlation_id.context import correlation_id
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from calbridge.db import Database
from calbridge.ops.metrics import Metrics
from calbridge.ops.metrics import stop_using as stop_using_metrics
from calbridge.ops.metrics import use as use_metrics
from calbridge.outbox import repository
from calbridge.outbox.backoff import RetryPolicy
from calbridge.outbox.models import OutboxJob
from calbridge.outbox.registry import JobKind, JobRegistry
from calbridge.outbox.service import (
    NOTIFY_CHANNEL,
    JobDeferred,
    JobFailed,
    LeaseLost,
    guard_commits,
    on_jobs_committed,
    remove_jobs_committed_listener,
)
from calbridge.settings import Settings

logger = logging.getLogger(__name__)


CLEANUP_INTERVAL_SECONDS = 600.0
# A job's end is logged at INFO for these outcomes, at WARNING for the others.
QUIET_OUTCOMES = frozenset({"done", "deferred"})
MIN_SLEEP_SECONDS = 0.01


class WorkerContext(Protocol):
    """What the worker needs of the context it hands to handlers (``calbridge.services``)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def database(self) -> Database: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...


def default_name() -> str:
    """Unique per worker, and telling where it runs: ``host-pid-random``."""
    return f"{socket.gethostname()[:64]}-{os.getpid()}-{secrets.token_hex(4)}"


class Worker:
    """Runs outbox jobs. ``start()`` runs it in the background until ``stop()``; tests and
    ``calbridge jobs`` call ``run_once()`` or ``drain()`` instead (not both on one worker)."""

    def __init__(
        self,
        ctx: WorkerContext,
        jobs: JobRegistry,
        *,
        name: str | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        # Handed to every handler: the settings, the database, Google, the clock, ...
        self.ctx = ctx
        self.jobs = jobs
        self.database = ctx.database
        # Counts of its jobs (and of their Google calls and webhooks); an in-process worker
        # gets its app's, so they show on that app's /metrics.
        self.metrics = metrics
        self.settings = ctx.settings
        self.name = name or default_name()
        # Every time the worker reads or writes is taken from here, so tests can move time.
        self.clock = ctx.clock
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._listen_connection: AsyncConnection | None = None
        self._listener: Any = None
        self._schema: str | None = None  # where our jobs live (PostgreSQL), from LISTEN

    def start(self) -> asyncio.Task[None]:
        """Run ``run()`` in the background; the task ends after ``stop()``."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=f"outbox worker {self.name}")
        return self._task

    async def stop(self, grace: float | None = None) -> None:
        """Finish the job in hand, give back the rest of the batch, and return. With ``grace``,
        a job still running after that many seconds is cut short and given back too (pending,
        the attempt not counted), to run again on any worker. A stopped worker stays stopped."""
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        done, _ = await asyncio.wait([self._task], timeout=grace)
        if not done:
            logger.warning("outbox worker %s: giving back the job still running", self.name)
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def run(self) -> None:
        """Run due jobs until stopped, sleeping between polls unless woken."""
        loop = asyncio.get_running_loop()

        def wake() -> None:
            # Commits may happen on another thread (or loop) of this process; and an error here
            # would surface in the committer's ``commit()``.
            with contextlib.suppress(RuntimeError):  # this worker's loop has closed
                loop.call_soon_threadsafe(self._wake.set)

        on_jobs_committed(wake)
        next_cleanup = next_tick = 0.0
        logger.info(
            "outbox worker %s started (poll %ss, batch %s)",
            self.name,
            self.settings.worker_poll_seconds,
            self.settings.worker_batch_size,
        )
        try:
            while not self._stopping:
                if loop.time() >= next_cleanup:
                    next_cleanup = loop.time() + CLEANUP_INTERVAL_SECONDS
                    await self.delete_old_jobs()
                    await self.optimize_database()
                if loop.time() >= next_tick:
                    next_tick = loop.time() + self.settings.worker_schedule_seconds
                    await self.tick()
                await self._listen()
                self._wake.clear()  # before claiming, so a commit after the claim still wakes us
                try:
                    ran = await self.run_once()
                except Exception:
                    logger.exception("outbox worker %s: claiming or recording failed", self.name)
                    ran = 0
                if ran == 0 and not self._stopping:
                    await self._sleep(await self._idle_seconds())
        finally:
            remove_jobs_committed_listener(wake)
            await self._unlisten()
            logger.info("outbox worker %s stopped", self.name)

    async def run_once(self) -> int:
        """Claim one batch of due jobs and run them, in id order. Returns how many ran."""
        async with self.database.transaction() as session:
            jobs = await repository.claim_jobs(
                session,
                worker=self.name,
                now=self.clock(),
                lease_seconds=self.settings.worker_lease_seconds,
                limit=self.settings.worker_batch_size,
            )
        ran = 0
        for index, job in enumerate(jobs):
            if self._stopping:
                await self._release(jobs[index:])
                break
            if index > 0 and not await self._keep_lease(job):
                continue
            try:
                await self._run(job)
            except asyncio.CancelledError:  # stop() ran out of grace: give the jobs back
                await self._release(jobs[index:])
                raise
            ran += 1
        return ran

    async def tick(self) -> None:
        """Run the registry's periodic functions (``JobRegistry.periodic``), each in its own
        transaction; one that fails is logged and tried again at the next tick."""
        for task in self.jobs.periodic_tasks():
            try:
                async with self.database.transaction() as session:
                    await task(session, self.clock(), self.ctx)
            except Exception:
                logger.exception("outbox worker %s: periodic %s failed", self.name, task.__name__)

    async def delete_old_jobs(self) -> int:
        """Delete done jobs older than ``job_retention_hours``, so the table does not grow forever.
        Failed and waiting jobs stay until someone retries or discards them."""
        before = self.clock() - timedelta(hours=self.settings.job_retention_hours)
        try:
            async with self.database.transaction() as session:
                return await repository.delete_done_jobs(session, finished_before=before)
        except Exception:
            logger.exception("outbox worker %s: deleting old jobs failed", self.name)
            return 0

    async def optimize_database(self) -> None:
        """Keep SQLite's planner statistics fresh (``Database.optimize``); a failure (the
        database busy past its timeout) is logged and tried again at the next cleanup."""
        try:
            await self.database.optimize()
        except Exception:
            logger.exception("outbox worker %s: optimizing the database failed", self.name)

    async def drain(self, timeout: float = 30) -> None:  # noqa: ASYNC109 (the agreed interface)
        """Run jobs until none is due or running (here or on another worker); for tests and
        benchmarks. Raises ``TimeoutError`` after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while True:
                if await self.run_once():
                    continue
                async with self.database.session(write=False) as session:
                    if not await repository.has_work(session, now=self.clock()):
                        return
                await asyncio.sleep(min(self.settings.worker_poll_seconds, 0.05))

    async def _run(self, job: OutboxJob) -> None:
        """Run one job under the id of the request that enqueued it (its log lines, and the
        jobs it enqueues, carry that id), and log how it ended."""
        token = correlation_id.set(job.request_id)
        counting = use_metrics(self.metrics)
        started = time.monotonic()
        # Unless _execute returns: cancelled by stop() after its grace, the job is given back.
        outcome: str = "released"
        error: str | None = "the worker stopped during the job"
        try:
            outcome, error = await self._execute(job)
        finally:
            duration = time.monotonic() - started
            fields = {
                "job_id": job.id,
                "job_kind": job.kind,
                "attempt": job.attempts,
                "outcome": outcome,
                "duration_seconds": round(duration, 3),
            }
            level = logging.INFO if outcome in QUIET_OUTCOMES else logging.WARNING
            logger.log(
                level,
                "job %s %s attempt %s/%s: %s in %.3fs%s",
                job.id,
                job.kind,
                job.attempts,
                job.max_attempts,
                outcome,
                duration,
                f": {error}" if error else "",
                extra={**fields, "error": error},
            )
            if self.metrics is not None:
                self.metrics.jobs_finished.labels(job.kind, outcome).inc()
            stop_using_metrics(counting)
            correlation_id.reset(token)

    async def _execute(self, job: OutboxJob) -> tuple[str, str | None]:
        """Runs the handler and records the result: the outcome (``done``, ``retry``,
        ``failed``, ``deferred``, ``lease_lost``) and the error, if any."""
        kind = self.jobs.kind(job.kind)
        if kind is None:
            error = f"no handler is registered for job kind {job.kind!r}"
            await self._failed(job, error, None)
            return "failed", error
        heartbeat = asyncio.create_task(self._heartbeat(job.id))
        try:
            async with self.database.session(write=True) as session:
                guard_commits(session, partial(self._still_held, job.id))
                await kind.handler(session, dict(job.payload), self.ctx)
                if await repository.finish_job(session, job.id, worker=self.name, now=self.clock()):
                    await session.commit()
                    return "done", None
                await session.rollback()
            return "lease_lost", "another worker claimed the job again; its result stands"
        except LeaseLost as lost:
            return "lease_lost", str(lost)
        except JobDeferred as wait:
            async with self.database.transaction() as session:
                await repository.defer_job(
                    session,
                    job.id,
                    worker=self.name,
                    run_after=self.clock() + timedelta(seconds=wait.seconds),
                    note=f"waiting: {wait.reason}",
                )
            return "deferred", wait.reason
        except Exception as error:
            if not isinstance(error, JobFailed):
                logger.debug("job %s (%s) raised", job.id, job.kind, exc_info=True)
            message = f"{type(error).__name__}: {error}"
            delay = None
            if not isinstance(error, JobFailed) and job.attempts < job.max_attempts:
                delay = self._retry_policy(kind).seconds(job.attempts)
            await self._failed(job, message, delay, kind)
            return ("failed" if delay is None else "retry"), message
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _still_held(self, job_id: int, session: AsyncSession) -> bool:
        """In the handler's transaction: renew the job's lease if this worker still holds it."""
        lease = timedelta(seconds=self.settings.worker_lease_seconds)
        return await repository.renew_lease(
            session, job_id, worker=self.name, locked_until=self.clock() + lease
        )

    async def _heartbeat(self, job_id: int) -> None:
        """Renew the job's lease while its handler runs, so a slow handler is not taken for a
        dead worker's and run a second time. Stops once the job is no longer ours."""
        lease = self.settings.worker_lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            try:
                async with self.database.transaction() as session:
                    held = await repository.renew_lease(
                        session,
                        job_id,
                        worker=self.name,
                        locked_until=self.clock() + timedelta(seconds=lease),
                    )
            except Exception:
                logger.warning("outbox job %s: renewing its lease failed", job_id, exc_info=True)
                continue
            if not held:
                return

    async def _failed(
        self, job: OutboxJob, error: str, delay: float | None, kind: JobKind | None = None
    ) -> None:
        """Back to pending for ``delay`` seconds, or (None) failed for good."""
        now = self.clock()
        retry_at = None if delay is None else now + timedelta(seconds=delay)
        async with self.database.transaction() as session:
            recorded = await repository.fail_job(
                session, job.id, worker=self.name, now=now, error=error, retry_at=retry_at
            )
            hook = None if kind is None else kind.on_failure
            if retry_at is None and recorded and hook is not None:
                try:
                    async with session.begin_nested():
                        await hook(session, dict(job.payload), error)
                except Exception:
                    logger.exception("outbox job %s (%s): failure hook failed", job.id, job.kind)

    def _retry_policy(self, kind: JobKind) -> RetryPolicy:
        if kind.retry is not None:
            return kind.retry
        return RetryPolicy(
            base=self.settings.job_backoff_base_seconds, cap=self.settings.job_backoff_max_seconds
        )

    async def _keep_lease(self, job: OutboxJob) -> bool:
        """Before a later job of the batch starts, renew its lease if half of it is used up
        (earlier jobs took time). False if another worker has claimed the job meanwhile."""
        lease = timedelta(seconds=self.settings.worker_lease_seconds)
        now = self.clock()
        if job.locked_until is not None and now < job.locked_until - lease / 2:
            return True
        async with self.database.transaction() as session:
            return await repository.renew_lease(
                session, job.id, worker=self.name, locked_until=now + lease
            )

    async def _release(self, jobs: list[OutboxJob]) -> None:
        async with self.database.transaction() as session:
            for job in jobs:
                await repository.release_job(session, job.id, worker=self.name)

    async def _idle_seconds(self) -> float:
        """How long to sleep when no job was due: the poll interval, or less if a job waiting
        for its time becomes due sooner (nothing else would wake the worker for it)."""
        poll = self.settings.worker_poll_seconds
        now = self.clock()
        try:
            async with self.database.session(write=False) as session:
                due = await repository.next_due_at(session, now=now)
        except Exception:
            logger.warning("outbox worker %s: reading the next due time failed", self.name)
            return poll
        if due is None:
            return poll
        # A floor, so a clock that stands still (tests) cannot make the worker spin.
        return min(poll, max((due - now).total_seconds(), MIN_SLEEP_SECONDS))

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _listen(self) -> None:
        """On PostgreSQL, keep a connection that LISTENs for new jobs (from any process).
        Without it the worker still polls, so a failure here is logged and retried later."""
        if self.database.is_sqlite or self._stopping:
            return
        if self._listen_connection is not None:
            if not self._listener.is_closed():
                return
            await self._unlisten()  # the server went away; listen again on a new connection
        connection: AsyncConnection | None = None
        try:
            connection = await self.database.engine.connect()
            raw = await connection.get_raw_connection()
            self._listener = raw.driver_connection  # the asyncpg connection
            # The trigger says which schema the jobs went into; other schemas' jobs (another
            # deployment or test run sharing the database) are not ours to wake for.
            self._schema = await self._listener.fetchval(
                "SELECT relnamespace::regnamespace::text FROM pg_class"
                " WHERE oid = 'outbox_jobs'::regclass"
            )
            await self._listener.add_listener(NOTIFY_CHANNEL, self._notified)
        except Exception:
            logger.warning("worker %s: LISTEN failed, polling only", self.name, exc_info=True)
            if connection is not None:
                await _discard(connection)
            return
        self._listen_connection = connection

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if not payload or payload == self._schema:
            self._wake.set()

    async def _unlisten(self) -> None:
        connection, self._listen_connection = self._listen_connection, None
        if connection is not None:
            await _discard(connection)


async def _discard(connection: AsyncConnection) -> None:
    """Close a LISTEN connection without handing it back to the pool (it would keep listening)."""
    try:
        await connection.invalidate()
        await connection.close()
    except Exception:
        logger.debug("closing the LISTEN connection failed", exc_info=True)
