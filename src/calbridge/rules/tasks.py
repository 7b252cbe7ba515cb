"""The outbox jobs of event rules.

    event.changed ─(fan-out, event/tasks.py)─► rules.run ─► one rules.action job per action

``rules.run`` evaluates the workspace's enabled rules against the change (pure: ``evaluate``)
and records a run for each rule that acts, all in the job's transaction. ``rules.action`` runs
one action: an event change in a savepoint, or one delivery attempt (``actions/delivery.py``).

Changes made by rule actions must not start rules again. While an event action runs, the
session's ``info`` holds the rule's id, and a ``before_flush`` hook stamps the ``event.changed``
job that the event service adds with ``origin: "rule"``; ``rules.run`` ignores such changes
(Google sync, the other subscriber, still follows them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from calbridge.event import changes
from calbridge.event.service import EVENT_CHANGED
from calbridge.event.tasks import ChangePayload
from calbridge.outbox.models import OutboxJob
from calbridge.outbox.registry import JobRegistry
from calbridge.outside import call_outside
from calbridge.rules import repository
from calbridge.rules.actions import delivery, event_actions, plan
from calbridge.rules.actions.jobs import RUN_ACTION
from calbridge.rules.evaluate import PlannedAction, evaluate
from calbridge.rules.models import EventRule
from calbridge.rules.schemas import EVENT_ACTIONS, parse_action
from calbridge.rules.service import spec
from calbridge.rules.webhooks import Attempt
from calbridge.statuses import ActionStatus
from calbridge.workspace.models import Workspace

if TYPE_CHECKING:
    from calbridge.services import Services

RUN_RULES = "rules.run"
RULE_ORIGIN = "rule"
# The runs a change starts: each acting rule with its actions, prepared (rendered).
Runs = list[tuple[EventRule, list[tuple[PlannedAction, plan.Prepared]]]]


class ActionPayload(TypedDict):
    """A ``rules.action`` job: one action of a run, and where its round of retries began."""

    action_id: int
    first_attempt: NotRequired[int]


@orm_event.listens_for(Session, "before_flush")
def _mark_rule_changes(session: Session, _context: Any, _instances: Any) -> None:
    rule_id = session.info.get(event_actions.ORIGIN_KEY)
    if rule_id is None:
        return
    for job in session.new:
        if isinstance(job, OutboxJob) and job.kind == EVENT_CHANGED:
            job.payload = {**job.payload, "origin": RULE_ORIGIN, "rule_id": rule_id}


async def run_rules(session: AsyncSession, payload: ChangePayload, ctx: Services) -> None:
    """Evaluate every enabled rule of the workspace against one event change.

    In three steps, so no transaction is open while templates render (which may take up to
    their time limit): find the rules that act (read), prepare their actions (render, no
    session in use), record the runs (write, with the job's ``done``)."""
    if payload.get("origin") == RULE_ORIGIN:
        return
    now = ctx.clock()
    before, after = changes.states(payload)

    async def acting(read: AsyncSession) -> list[tuple[EventRule, list[PlannedAction]]]:
        found = []
        for rule in await repository.enabled_rules(read, payload["workspace_id"]):
            planned = evaluate(spec(rule), payload["change"], before, after, now)
            if planned:
                found.append((rule, planned))
        return found

    async def prepare(found: list[tuple[EventRule, list[PlannedAction]]]) -> Runs:
        return [
            (rule, [(item, await plan.prepare(rule, item.action, payload, now)) for item in items])
            for rule, items in found
        ]

    async def start_runs(write: AsyncSession, _found: object, prepared: Runs) -> None:
        for rule, actions in prepared:
            if not await repository.rule_exists(write, rule.id):
                continue  # deleted while its actions were prepared
            await plan.start_run(write, rule, payload, actions, now)

    await call_outside(session, acting, prepare, start_runs)


async def run_action(session: AsyncSession, payload: ActionPayload, ctx: Services) -> None:
    """One action of a run. Skipped if its rule is gone or disabled, or its webhook was
    disabled by a 410 answer since."""
    action = await repository.get_action(session, payload["action_id"])
    if action is None or action.status != ActionStatus.PENDING:
        return
    run = await repository.get_run_by_id(session, action.run_id)
    rule = None if run is None else await repository.get_rule_by_id(session, run.rule_id)
    if run is None or rule is None:
        return
    if not rule.enabled or (action.type == "webhook" and delivery.webhook_disabled(rule, action)):
        action.status = ActionStatus.SKIPPED
        action.error = "the rule is disabled" if not rule.enabled else "the webhook is disabled"
        action.updated_at = ctx.clock()
        return
    if action.type in EVENT_ACTIONS:
        workspace = await session.get(Workspace, run.workspace_id)
        assert workspace is not None
        status, note = await event_actions.apply(
            session, workspace, run.event_id, parse_action(action.request), rule.id, ctx.busy_source
        )
        action = await repository.get_action(session, payload["action_id"])
        assert action is not None
        action.status, action.error = status, note
        action.attempts += 1
        action.updated_at = ctx.clock()
        return
    work = delivery.pending(action, rule, ctx)

    async def begin(write: AsyncSession) -> int:
        # The attempt is on record before the network (a crash shows it as cut short).
        return await delivery.begin(write, action, work, ctx.clock())

    async def record(write: AsyncSession, attempt_id: int, result: Attempt) -> None:
        first_attempt = payload.get("first_attempt", 0)
        await delivery.record(
            write, work, attempt_id, result, first_attempt=first_attempt, now=ctx.clock()
        )

    await call_outside(session, begin, lambda _attempt_id: delivery.attempt(work, ctx), record)


def jobs() -> JobRegistry:
    registry = JobRegistry()
    registry.add(RUN_RULES, run_rules)
    registry.add(RUN_ACTION, run_action)
    return registry
