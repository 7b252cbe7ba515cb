"""The ``rules.action`` job: one action of a run. Its kind and how it is queued live here, below
both the run's planning and delivery (``actions/``) and the rules service that retries runs."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.outbox.service import enqueue
from calbridge.rules.models import RuleRunAction

RUN_ACTION = "rules.action"


async def enqueue_action(
    session: AsyncSession, action: RuleRunAction, *, first_attempt: int = 0, ordered: bool = True
) -> None:
    """A job that runs one action of a run. Jobs of one run start in the rule's order
    (ordering key per run); ``first_attempt`` is where this round of retries begins."""
    await enqueue(
        session,
        RUN_ACTION,
        ordering_key=f"{RUN_ACTION}:run:{action.run_id}" if ordered else None,
        action_id=action.id,
        first_attempt=first_attempt,
    )
