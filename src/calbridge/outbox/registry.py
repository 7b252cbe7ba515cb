"""Which function runs which job kind: a ``JobRegistry``.

Each domain builds a small registry of its own job kinds (``event.tasks.jobs()``,
``google.tasks.jobs()``, ``rules.tasks.jobs()``), and ``calbridge.jobs`` composes them and lists
the subscriptions in one place. Nothing registers itself by being imported, and a kind that is
registered twice is an error (``DuplicateJobKind``), never a silent overwrite.

A handler is called as ``handler(session, payload, ctx)``: a write session whose transaction
commits with the job's ``done``, the job's payload (a ``TypedDict`` per kind), and the worker's
context (``calbridge.services.Services``), as procrastinate passes its ``JobContext``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.outbox.backoff import RetryPolicy
from calbridge.outbox.service import enqueue

# The payload and the context are typed by each handler (``Any`` here: the outbox knows no
# domain, and a handler of ``(AsyncSession, SyncPayload, Services)`` fits these).
Handler = Callable[[AsyncSession, Any, Any], Awaitable[None]]
FailureHook = Callable[[AsyncSession, Any, str], Awaitable[None]]
Periodic = Callable[[AsyncSession, datetime, Any], Awaitable[None]]
OrderingKey = Callable[[str, dict[str, Any]], str]


class DuplicateJobKind(ValueError):
    """Two handlers (or two fan-outs) for one job kind."""


@dataclass(frozen=True)
class JobKind:
    """One kind of job: its handler, the hook run when it fails for good, and its retry policy
    (None: the settings' ``job_backoff_*``)."""

    handler: Handler
    on_failure: FailureHook | None = None
    retry: RetryPolicy | None = None


@dataclass(frozen=True)
class Subscription:
    job_kind: str
    omit: frozenset[str]


class JobRegistry:
    """Job kinds, periodic functions and subscriptions. Build one per process from
    ``calbridge.jobs.registry()``; tests build their own."""

    def __init__(self) -> None:
        self._kinds: dict[str, JobKind] = {}
        self._periodic: list[Periodic] = []
        self._fan_outs: dict[str, OrderingKey] = {}
        self._subscriptions: dict[str, list[Subscription]] = {}

    def add(
        self,
        kind: str,
        handler: Handler,
        *,
        on_failure: FailureHook | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        """Run jobs of ``kind`` with ``handler``. ``on_failure`` runs, in the transaction that
        records the failure, when a job fails for good (attempts spent, or ``JobFailed``); a
        hook that raises is logged and does not stop the failure being recorded."""
        self._claim(kind)
        self._kinds[kind] = JobKind(handler, on_failure, retry)

    def handler(
        self, kind: str, *, on_failure: FailureHook | None = None, retry: RetryPolicy | None = None
    ) -> Callable[[Handler], Handler]:
        """``add`` as a decorator (for tests' own registries)."""

        def register(function: Handler) -> Handler:
            self.add(kind, function, on_failure=on_failure, retry=retry)
            return function

        return register

    def periodic(self, function: Periodic) -> None:
        """Run ``function(session, now, ctx)`` every ``worker_schedule_seconds`` (and at start)
        on every worker, in a write transaction of its own: it enqueues work that is due by time
        (the Google mirror's fallback poll). Several workers run it too, so it must not enqueue
        twice what one job does (lock, then look for a waiting job)."""
        if function not in self._periodic:
            self._periodic.append(function)

    def fan_out(self, source_kind: str, ordering_key: OrderingKey) -> None:
        """Jobs of ``source_kind`` enqueue one job per subscriber (``subscribe``), each with the
        payload and the ordering key ``ordering_key(subscriber_kind, payload)``, in the order
        the subscriptions were made."""
        self._claim(source_kind)
        self._fan_outs[source_kind] = ordering_key

    def subscribe(self, source_kind: str, job_kind: str, *, omit: Collection[str] = ()) -> None:
        """Ask for a job of ``job_kind`` after every job of ``source_kind``, carrying the
        source's payload less the keys it ``omit``s (a subscriber that needs ids, not the
        event's snapshot, stores no copy)."""
        found = self._subscriptions.setdefault(source_kind, [])
        if any(item.job_kind == job_kind for item in found):
            raise DuplicateJobKind(f"{job_kind!r} already subscribes to {source_kind!r}")
        found.append(Subscription(job_kind, frozenset(omit)))

    def include(self, other: JobRegistry) -> None:
        """Add every kind, periodic function and subscription of ``other``."""
        for kind, spec in other._kinds.items():
            self.add(kind, spec.handler, on_failure=spec.on_failure, retry=spec.retry)
        for kind, key in other._fan_outs.items():
            self.fan_out(kind, key)
        for function in other._periodic:
            self.periodic(function)
        for source, subscriptions in other._subscriptions.items():
            for item in subscriptions:
                self.subscribe(source, item.job_kind, omit=item.omit)

    def kind(self, kind: str) -> JobKind | None:
        """How to run jobs of ``kind`` (None: nothing is registered for it)."""
        if kind in self._fan_outs:
            return JobKind(self._fan_out_handler(kind))
        return self._kinds.get(kind)

    def kinds(self) -> list[str]:
        return sorted([*self._kinds, *self._fan_outs])

    def periodic_tasks(self) -> list[Periodic]:
        return list(self._periodic)

    def subscribers(self, source_kind: str) -> list[str]:
        """The job kinds subscribed to ``source_kind``, in the order they subscribed."""
        return [item.job_kind for item in self._subscriptions.get(source_kind, [])]

    def _claim(self, kind: str) -> None:
        if kind in self._kinds or kind in self._fan_outs:
            raise DuplicateJobKind(f"job kind {kind!r} is registered twice")

    def _fan_out_handler(self, source_kind: str) -> Handler:
        ordering_key = self._fan_outs[source_kind]
        subscriptions = list(self._subscriptions.get(source_kind, []))

        async def fan_out(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
            for item in subscriptions:
                await enqueue(
                    session,
                    item.job_kind,
                    ordering_key=ordering_key(item.job_kind, payload),
                    **{key: value for key, value in payload.items() if key not in item.omit},
                )

        return fan_out
