"""Turning a matched rule into a run: one RuleRun, one RuleRunAction per action, one job each.

What a delivery sends is fixed here, once: the webhook body (so every retry signs the same bytes)
and the rendered email. The delivery id (``webhook-id``) is fixed here too.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from jinja2 import TemplateError
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.rules import templates, webhooks
from calbridge.rules.evaluate import TRIGGERS, PlannedAction
from calbridge.rules.models import EventRule, RuleRun, RuleRunAction
from calbridge.rules.service import enqueue_action


def new_delivery_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


async def start_run(
    session: AsyncSession,
    rule: EventRule,
    change: dict[str, Any],
    planned: list[PlannedAction],
    now: datetime,
) -> RuleRun:
    """``change`` is the event.changed payload. Actions that cannot even be prepared (an
    email to nobody, a template that fails to render) are recorded as such, without a job."""
    run = RuleRun(
        rule_id=rule.id,
        workspace_id=rule.workspace_id,
        event_id=change["event_id"],
        change=TRIGGERS[change["change"]],
        created_at=now,
    )
    session.add(run)
    await session.flush()
    for item in planned:
        action = RuleRunAction(
            run_id=run.id,
            position=item.position,
            type=item.type,
            delivery_id=new_delivery_id(),
            request={},
            updated_at=now,
        )
        try:
            action.request = prepare(rule, run, item.action, change, now)
        except _NotSent as reason:
            action.status, action.error = reason.status, str(reason)
        session.add(action)
        await session.flush()
        if action.status == "pending":
            await enqueue_action(session, action)
    return run


class _NotSent(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def prepare(
    rule: EventRule,
    run: RuleRun,
    action: dict[str, Any],
    change: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    before, after = change.get("before"), change.get("after")
    if action["type"] == "webhook":
        body = webhooks.payload(
            rule_id=rule.id,
            trigger=run.change,
            event_id=run.event_id,
            before=before,
            after=after,
            at=now,
        )
        return {"url": action["url"], "body": json.dumps(body, separators=(",", ":"))}
    if action["type"] == "email":
        return _email(rule, run, action, before, after)
    return dict(action)


def _email(
    rule: EventRule,
    run: RuleRun,
    action: dict[str, Any],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    event = after if after is not None else before
    assert event is not None
    recipients = list(action.get("to", []))
    if action.get("toAttendees"):
        recipients += [attendee["email"] for attendee in event["attendees"]]
    recipients = list(dict.fromkeys(recipients))
    if not recipients:
        raise _NotSent("skipped", "no recipients: the event has no attendees")
    context = {"event": event, "before": before, "change": run.change, "rule": rule.name}
    try:
        subject = templates.render(action["subject"], context)
        body = templates.render(action["body"], context)
    except TemplateError as error:
        raise _NotSent("failed", f"template error: {error}") from None
    return {"to": recipients, "subject": subject, "body": body}
