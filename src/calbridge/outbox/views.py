"""What the jobs page and ``calbridge jobs list`` show of a job: the truth about its work.

A job's own ``attempts`` and ``last_error`` count runs of its handler. For some kinds that is not
the work's story: a webhook delivery makes one attempt per job (each retry is a new job), so the
job waiting for the third attempt has run 0 times and holds no error, while the delivery has been
tried twice and failed. Such kinds have an explainer that tells the work's real attempts, its
last error, and what it belongs to (workspace, rule, event) for links; ``calbridge.job_views``
lists them (the outbox knows no domain).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.outbox.models import OutboxJob


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


def own_facts(job: OutboxJob) -> JobFacts:
    """The job as its outbox row tells it."""
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
