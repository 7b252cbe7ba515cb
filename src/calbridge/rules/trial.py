"""``POST /event-rules/{id}/test``: a dry run against an existing event.

Nothing is written: no run, no job, no change to the event. Webhooks and emails are sent for
real (that is what people test), after the request's transaction has ended, so a slow receiver
holds no database lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.event import service as event_service
from calbridge.outside import call_outside
from calbridge.rules import service
from calbridge.rules.actions import delivery, plan
from calbridge.rules.evaluate import Explanation, explain
from calbridge.rules.models import EventRule, RuleRunAction
from calbridge.rules.schemas import (
    Action,
    AddAttendeeAction,
    ConditionOutcome,
    EmailAction,
    RuleTestRequest,
    RuleTestResponse,
    SetStatusAction,
    TestActionOutcome,
    WebhookAction,
    parse_action,
)
from calbridge.statuses import ActionStatus
from calbridge.workspace.models import Workspace

if TYPE_CHECKING:
    from calbridge.services import Services


def _describe(action: Action) -> str:
    if isinstance(action, WebhookAction):
        return f"POST to {action.url}"
    if isinstance(action, EmailAction):
        return "send an email"
    if isinstance(action, SetStatusAction):
        return f"set the status to {action.status}"
    if isinstance(action, AddAttendeeAction):
        return f"add member {action.member_id} as an attendee"
    return "cancel the event"


@dataclass
class _Trial:
    """What the dry run read, and the outcome of each action (filled in as they are sent)."""

    rule: EventRule
    event_id: int
    snapshot: dict[str, Any]
    explanation: Explanation
    actions: list[Action]
    outcomes: list[TestActionOutcome]


async def try_rule(
    session: AsyncSession,
    workspace: Workspace,
    rule_id: int,
    data: RuleTestRequest,
    ctx: Services,
) -> RuleTestResponse:
    """Read (nothing is written), then render and send with no transaction open."""
    now = ctx.clock()

    async def read(read_session: AsyncSession) -> _Trial:
        rule = await service.get_rule(read_session, workspace, rule_id)
        shown = await event_service.view_event(read_session, workspace, data.event_id)
        snapshot = shown.snapshot()
        explanation = explain(service.spec(rule), data.trigger, snapshot, snapshot, now)
        actions = [parse_action(action) for action in rule.actions]
        outcomes = [
            TestActionOutcome(position=position, type=action.type, would=_describe(action))
            for position, action in enumerate(actions)
        ]
        return _Trial(rule, shown.event.id, snapshot, explanation, actions, outcomes)

    async def send(trial: _Trial) -> None:
        if trial.explanation.matched:
            await _send(trial, data.trigger, now, ctx)

    async def answer(_session: AsyncSession, trial: _Trial, _sent: None) -> RuleTestResponse:
        explanation = trial.explanation
        return RuleTestResponse(
            matched=explanation.matched,
            trigger_matched=explanation.trigger_matched,
            calendar_matched=explanation.calendar_matched,
            conditions=[
                ConditionOutcome(condition=condition, passed=passed)
                for condition, passed in explanation.conditions
            ],
            actions=trial.outcomes,
        )

    return await call_outside(session, read, send, answer)


async def _send(trial: _Trial, trigger: str, now: datetime, ctx: Services) -> None:
    """Render and send the webhooks and emails for real; note each outcome."""
    rule, outcomes = trial.rule, trial.outcomes
    change = {"event_id": trial.event_id, "change": trigger.removeprefix("event.")}
    change.update(before=trial.snapshot, after=trial.snapshot)
    sends: list[tuple[int, delivery.Pending]] = []
    for position, action in enumerate(trial.actions):
        sent = isinstance(action, WebhookAction | EmailAction)
        if not sent or rule.actions[position].get("disabledAt"):
            continue
        request = await plan.prepare(rule, action, change, now)
        if isinstance(request, plan.NotSent):  # an email to nobody, a template that fails
            outcomes[position].status, outcomes[position].error = (
                ActionStatus.FAILED,
                str(request),
            )
            continue
        fake = RuleRunAction(
            id=0,
            position=position,
            type=action.type,
            delivery_id=plan.new_delivery_id(),
            request=request,
        )
        sends.append((position, delivery.pending(fake, rule, ctx)))
    for position, work in sends:
        result = await delivery.attempt(work, ctx)
        outcome = outcomes[position]
        outcome.status = (
            ActionStatus.SUCCEEDED if result.outcome == "succeeded" else ActionStatus.FAILED
        )
        outcome.response_status, outcome.error = result.response_status, result.error
