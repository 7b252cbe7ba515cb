"""What the jobs page and ``calbridge jobs list`` show of a job: the truth about its work.

A job's own ``attempts`` and ``last_error`` count runs of its handler. For some kinds that is not
the work's story: a webhook delivery makes one attempt per job (each retry is a new job), so the
job waiting for the third attempt has run 0 times and holds no error, while the delivery has been
tried twice and failed. Such kinds register an explainer that tells the work's real attempts, its
last error, and what it belongs to (workspace, rule, event) for links.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.outbox.models import OutboxJob
from calbridge.workspace.models import Workspace


@dataclass(frozen=True)
class JobFacts:
    attempts: int
    max_attempts: int
    last_error: str | None
    workspace_id: int | None = None
    rule_id: int | None = None
    event_id: int | None = None


@dataclass(frozen=True)
class JobView:
    job: OutboxJob
    facts: JobFacts
    workspace_uuid: str | None

    def describe(self) -> dict[str, object]:
        """The job as ``calbridge jobs list`` prints it."""
        job, facts = self.job, self.facts
        return {
            "id": job.id,
            "kind": job.kind,
            "status": job.status,
            "attempts": facts.attempts,
            "maxAttempts": facts.max_attempts,
            "lastError": facts.last_error,
            "runAfter": job.run_after.isoformat(),
            "workspace": self.workspace_uuid,
            "ruleId": facts.rule_id,
            "eventId": facts.event_id,
            "jobAttempts": job.attempts,
            "payload": job.payload,
        }


Explainer = Callable[[AsyncSession, list[OutboxJob]], Awaitable[dict[int, JobFacts]]]
_explainers: dict[str, Explainer] = {}


def explains(kind: str) -> Callable[[Explainer], Explainer]:
    """Register what tells the truth about jobs of ``kind``: facts by job id (a job left out
    is shown as the outbox row says)."""

    def register(function: Explainer) -> Explainer:
        _explainers[kind] = function
        return function

    return register


def _own_facts(job: OutboxJob) -> JobFacts:
    payload = job.payload if isinstance(job.payload, dict) else {}
    return JobFacts(
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        last_error=job.last_error,
        workspace_id=_int(payload.get("workspace_id")),
        event_id=_int(payload.get("event_id")),
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def views_of(session: AsyncSession, jobs: list[OutboxJob]) -> list[JobView]:
    """The jobs, each with the facts the operator needs (same order)."""
    # Importing registers the explainers of the kinds whose jobs need one.
    import calbridge.rules.job_facts  # noqa: F401

    facts = {job.id: _own_facts(job) for job in jobs}
    for kind, explain in _explainers.items():
        found = [job for job in jobs if job.kind == kind]
        if found:
            facts |= await explain(session, found)
    wanted = {f.workspace_id for f in facts.values() if f.workspace_id is not None}
    uuids: dict[int, str] = {}
    if wanted:
        rows = await session.execute(
            select(Workspace.id, Workspace.uuid).where(Workspace.id.in_(wanted))
        )
        uuids = {row.id: row.uuid for row in rows}
    return [JobView(job, facts[job.id], uuids.get(facts[job.id].workspace_id or 0)) for job in jobs]
