"""``POST /event-rules/{id}/test``: a dry run against an existing event.

Nothing is written: no run, no job, no change to the event. Webhooks and emails are sent for
real (that is what people test), after the request's transaction has ended, so a slow receiver
holds no database lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.event import service as event_service
from calbridge.rules import service
from calbridge.rules.actions import delivery, plan
from calbridge.rules.evaluate import explain
from calbridge.rules.models import RuleRunAction
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


async def try_rule(
    session: AsyncSession,
    workspace: Workspace,
    rule_id: int,
    data: RuleTestRequest,
    ctx: Services,
) -> RuleTestResponse:
    rule = await service.get_rule(session, workspace, rule_id)
    event = await event_service.get_event(session, workspace, data.event_id)
    snapshot = (await event_service.view(session, workspace, event)).snapshot()
    now = ctx.clock()
    explanation = explain(service.spec(rule), data.trigger, snapshot, snapshot, now)
    actions = [parse_action(action) for action in rule.actions]
    outcomes = [
        TestActionOutcome(position=position, type=action.type, would=_describe(action))
        for position, action in enumerate(actions)
    ]
    # Nothing is written; end the transaction before templates render and the network is used.
    await session.commit()
    sends: list[tuple[int, delivery.Pending]] = []
    if explanation.matched:
        change = {"event_id": event.id, "change": data.trigger.removeprefix("event.")}
        change.update(before=snapshot, after=snapshot)
        for position, action in enumerate(actions):
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
    return RuleTestResponse(
        matched=explanation.matched,
        trigger_matched=explanation.trigger_matched,
        calendar_matched=explanation.calendar_matched,
        conditions=[
            ConditionOutcome(condition=condition, passed=passed)
            for condition, passed in explanation.conditions
        ],
        actions=outcomes,
    )
