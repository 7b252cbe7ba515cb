"""Adding work to the outbox, inside the caller's transaction.

The job row commits or rolls back with the change that caused it, so work is never lost and never
done for a change that did not happen. Handlers are registered by kind and run by the worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from calbridge.ops.logs import current_request_id
from calbridge.outbox.models import OutboxJob
from calbridge.settings import Settings

NOTIFY_CHANNEL = "calbridge_outbox"
_ENQUEUED = "calbridge_outbox_enqueued"

Handler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]
FailureHook = Callable[[AsyncSession, dict[str, Any], str], Awaitable[None]]
Periodic = Callable[[AsyncSession, datetime, Settings], Awaitable[None]]
_handlers: dict[str, Handler] = {}
_periodic: list[Periodic] = []
_failure_hooks: dict[str, FailureHook] = {}
_after_commit_listeners: list[Callable[[], None]] = []
_subscribers: dict[str, list[str]] = {}
_subscriber_omits: dict[tuple[str, str], frozenset[str]] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``. It gets a session whose transaction
    commits when it returns (and rolls back when it raises), and the job's payload."""

    def register(function: Handler) -> Handler:
        _handlers[kind] = function
        return function

    return register


def handler_for(kind: str) -> Handler | None:
    return _handlers.get(kind)


def periodic(function: Periodic) -> Periodic:
    """Register a function every worker runs every ``worker_schedule_seconds`` (and at start),
    in a write transaction of its own, with the worker's clock and settings: it enqueues work
    that is due by time (the Google mirror's fallback poll). Several workers run it too, so it
    must not enqueue twice what one job does (lock, then look for a waiting job)."""
    if function not in _periodic:
        _periodic.append(function)
    return function


def periodic_tasks() -> list[Periodic]:
    return list(_periodic)


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


def on_failure(kind: str) -> Callable[[FailureHook], FailureHook]:
    """Register a function run when a job of ``kind`` fails for good (attempts spent, or
    ``JobFailed``): it gets a session in the transaction that records the failure, the payload
    and the error. A hook that raises is logged and does not stop the failure being recorded."""

    def register(function: FailureHook) -> FailureHook:
        _failure_hooks[kind] = function
        return function

    return register


def failure_hook_for(kind: str) -> FailureHook | None:
    return _failure_hooks.get(kind)


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


def subscribe(source_kind: str, job_kind: str, *, omit: Collection[str] = ()) -> None:
    """Ask for a job of ``job_kind`` after every job of ``source_kind`` (``event.changed``): the
    source's handler fans out, enqueueing one job per subscriber with the same payload, less the
    keys it ``omit``s (a subscriber that needs ids, not the event's snapshot, stores no copy)."""
    kinds = _subscribers.setdefault(source_kind, [])
    if job_kind not in kinds:
        kinds.append(job_kind)
    _subscriber_omits[(source_kind, job_kind)] = frozenset(omit)


def payload_for(source_kind: str, job_kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What a subscriber's job carries of a source job's payload (see ``subscribe``)."""
    omit = _subscriber_omits.get((source_kind, job_kind), frozenset())
    return {key: value for key, value in payload.items() if key not in omit}


def unsubscribe(source_kind: str, job_kind: str) -> None:
    kinds = _subscribers.get(source_kind, [])
    if job_kind in kinds:
        kinds.remove(job_kind)


def subscribers(source_kind: str) -> list[str]:
    """The job kinds subscribed to ``source_kind``, in the order they subscribed."""
    return list(_subscribers.get(source_kind, []))


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
