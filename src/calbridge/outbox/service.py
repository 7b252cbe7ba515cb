"""Adding work to the outbox, inside the caller's transaction.

The job row commits or rolls back with the change that caused it, so work is never lost and never
done for a change that did not happen. Which handler runs which kind is ``registry.py``'s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from calbridge.ops.logs import current_request_id
from calbridge.outbox.models import OutboxJob

NOTIFY_CHANNEL = "calbridge_outbox"
_ENQUEUED = "calbridge_outbox_enqueued"
_HELD = "calbridge_outbox_held"  # in a handler's session: is the job still this worker's?

_after_commit_listeners: list[Callable[[], None]] = []


class JobDeferred(Exception):
    """Raised by a handler: run the job again in ``seconds`` without spending an attempt (it
    waits for something outside, e.g. a Google account to be reconnected). The handler's
    transaction rolls back; ``reason`` is shown as the job's ``last_error`` meanwhile."""

    def __init__(self, reason: str, *, seconds: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.seconds = seconds


class JobFailed(Exception):
    """Raised by a handler: retrying cannot help (e.g. Google refused the request as invalid).
    The job fails at once, whatever attempts it has left, with this message as its error."""


class LeaseLost(Exception):
    """A handler's plan was not committed: another worker has claimed the job meanwhile."""


def guard_commits(
    session: AsyncSession, still_held: Callable[[AsyncSession], Awaitable[bool]]
) -> None:
    """Make ``commit_plan`` on a handler's session commit only while ``still_held`` says, in
    the same transaction, that the worker holds the job (the worker calls this)."""
    session.sync_session.info[_HELD] = still_held


async def commit_plan(session: AsyncSession) -> None:
    """Commit what a handler (or a request) planned before it calls out. In a job, only if the
    worker still holds it; else roll back and raise ``LeaseLost``."""
    still_held = session.sync_session.info.get(_HELD)
    if still_held is not None and not await still_held(session):
        await session.rollback()
        raise LeaseLost("another worker claimed the job again; its result stands")
    await session.commit()


async def enqueue(
    session: AsyncSession,
    kind: str,
    *,
    ordering_key: str | None = None,
    max_attempts: int | None = None,
    **payload: Any,
) -> OutboxJob:
    """Add a job to the session's transaction. Jobs with the same ``ordering_key`` run in order."""
    job = OutboxJob(
        kind=kind, payload=payload, ordering_key=ordering_key, request_id=current_request_id()
    )
    if max_attempts is not None:
        job.max_attempts = max_attempts
    session.add(job)
    await session.flush()
    # On PostgreSQL a trigger on outbox_jobs sends NOTIFY (NOTIFY_CHANNEL), delivered at commit.
    session.sync_session.info[_ENQUEUED] = True
    return job


def on_jobs_committed(listener: Callable[[], None]) -> None:
    """Call ``listener`` after any commit that added jobs (wakes an in-process worker)."""
    _after_commit_listeners.append(listener)


def remove_jobs_committed_listener(listener: Callable[[], None]) -> None:
    if listener in _after_commit_listeners:
        _after_commit_listeners.remove(listener)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_ENQUEUED, False):
        for listener in list(_after_commit_listeners):
            listener()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_ENQUEUED, None)
