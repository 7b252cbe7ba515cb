"""The truth about ``rules.action`` jobs for the jobs page and ``jobs list`` (listed in
``calbridge.job_views``): a delivery makes one attempt per job, so its attempts and last error are
the action's, not the job's."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.outbox.models import OutboxJob
from calbridge.outbox.views import JobFacts
from calbridge.rules.actions.delivery import RETRY_DELAYS
from calbridge.rules.models import RuleRun, RuleRunAction
from calbridge.rules.schemas import EVENT_ACTIONS

# One first attempt, then one per retry delay (actions/delivery.py).
DELIVERY_ATTEMPTS = 1 + len(RETRY_DELAYS)


async def action_facts(session: AsyncSession, jobs: list[OutboxJob]) -> dict[int, JobFacts]:
    ids = {job.payload.get("action_id") for job in jobs}
    rows = await session.execute(
        select(RuleRunAction, RuleRun)
        .join(RuleRun, RuleRun.id == RuleRunAction.run_id)
        .where(RuleRunAction.id.in_([i for i in ids if isinstance(i, int)]))
    )
    found = {action.id: (action, run) for action, run in rows}
    facts: dict[int, JobFacts] = {}
    for job in jobs:
        if job.payload.get("action_id") not in found:
            continue  # the rule was deleted: the job will do nothing
        action, run = found[job.payload["action_id"]]
        delivery = action.type not in EVENT_ACTIONS
        first = int(job.payload.get("first_attempt", 0))
        facts[job.id] = JobFacts(
            attempts=action.attempts if delivery else job.attempts,
            # A manual retry starts a new round of attempts where the last one ended.
            max_attempts=first + DELIVERY_ATTEMPTS if delivery else job.max_attempts,
            last_error=action.error or job.last_error,
            workspace_id=run.workspace_id,
            rule_id=run.rule_id,
            event_id=run.event_id,
        )
    return facts
