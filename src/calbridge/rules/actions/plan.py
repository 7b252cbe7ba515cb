"""Turning a matched rule into a run: one RuleRun, one RuleRunAction per action, one job each.

What a delivery sends is fixed here, once: the webhook body (so every retry signs the same bytes)
and the rendered email. The delivery id (``webhook-id``) is fixed here too.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from jinja2 import TemplateError
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.event import changes
from calbridge.rules import templates, webhooks
from calbridge.rules.actions.jobs import enqueue_action
from calbridge.rules.evaluate import TRIGGERS, PlannedAction
from calbridge.rules.models import EventRule, RuleRun, RuleRunAction
from calbridge.rules.schemas import Action, EmailAction, WebhookAction, stored_action
from calbridge.statuses import ActionStatus


def new_delivery_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


async def start_run(
    session: AsyncSession,
    rule: EventRule,
    change: Mapping[str, Any],
    planned: list[tuple[PlannedAction, Prepared]],
    now: datetime,
) -> RuleRun:
    """``change`` is the event.changed payload; ``planned`` pairs each action with what
    ``prepare`` made of it. Actions that could not even be prepared (an email to nobody, a
    template that fails or exceeds its limits) are recorded as such, without a job."""
    run = RuleRun(
        rule_id=rule.id,
        workspace_id=rule.workspace_id,
        event_id=change["event_id"],
        change=TRIGGERS[change["change"]],
        created_at=now,
    )
    session.add(run)
    await session.flush()
    for item, prepared in planned:
        action = RuleRunAction(
            run_id=run.id,
            position=item.position,
            type=item.type,
            delivery_id=new_delivery_id(),
            request={},
            updated_at=now,
        )
        if isinstance(prepared, NotSent):
            action.status, action.error = prepared.status, str(prepared)
        else:
            action.request = prepared
        session.add(action)
        await session.flush()
        if action.status == ActionStatus.PENDING:
            await enqueue_action(session, action)
    return run


class NotSent(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


# What an action's request is, or why it will not be sent.
Prepared = dict[str, Any] | NotSent


async def prepare(
    rule: EventRule, action: Action, change: Mapping[str, Any], now: datetime
) -> Prepared:
    """The request an action will send. Email templates render in a thread, within their
    limits (``templates``): call this with no transaction open, as it may take a while."""
    before, after = changes.states(change)
    trigger = TRIGGERS[change["change"]]
    if isinstance(action, WebhookAction):
        body = webhooks.payload(
            rule_id=rule.id,
            trigger=trigger,
            event_id=change["event_id"],
            before=before,
            after=after,
            at=now,
        )
        return {"url": action.url, "body": json.dumps(body, separators=(",", ":"))}
    if isinstance(action, EmailAction):
        try:
            return await _email(rule.name, trigger, action, before, after)
        except NotSent as reason:
            return reason
    return stored_action(action)


async def _email(
    rule_name: str,
    trigger: str,
    action: EmailAction,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    event = after if after is not None else before
    assert event is not None
    recipients = list(action.to)
    if action.to_attendees:
        recipients += [attendee["email"] for attendee in event["attendees"]]
    recipients = list(dict.fromkeys(recipients))
    if not recipients:
        raise NotSent(ActionStatus.SKIPPED, "no recipients: the event has no attendees")
    context = {"event": event, "before": before, "change": trigger, "rule": rule_name}
    try:
        subject, body = await templates.render_off_loop([action.subject, action.body], context)
    except TemplateError as error:
        raise NotSent(ActionStatus.FAILED, f"template error: {error}") from None
    return {"to": recipients, "subject": subject, "body": body}
