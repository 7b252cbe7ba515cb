"""What the jobs page and ``calbridge jobs list`` show of each job (``outbox.views`` says why a
job's own row is not always the truth). The kinds whose jobs need an explainer are listed here,
above the domains that explain them, so the outbox imports none of them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.outbox.models import OutboxJob
from calbridge.outbox.views import Explainer, JobView, own_facts
from calbridge.rules.actions.jobs import RUN_ACTION
from calbridge.rules.job_facts import action_facts
from calbridge.workspace import repository as workspace_repository

EXPLAINERS: dict[str, Explainer] = {RUN_ACTION: action_facts}


async def views_of(session: AsyncSession, jobs: list[OutboxJob]) -> list[JobView]:
    """The jobs, each with the facts the operator needs (same order)."""
    facts = {job.id: own_facts(job) for job in jobs}
    for kind, explain in EXPLAINERS.items():
        found = [job for job in jobs if job.kind == kind]
        if found:
            facts |= await explain(session, found)
    wanted = {f.workspace_id for f in facts.values() if f.workspace_id is not None}
    uuids = await workspace_repository.uuids_by_id(session, wanted)
    return [JobView(job, facts[job.id], uuids.get(facts[job.id].workspace_id or 0)) for job in jobs]
