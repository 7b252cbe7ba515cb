"""Webhook and email deliveries: one attempt per job, every attempt stored, retries scheduled.

An attempt happens outside any database transaction (the handler commits its read first), so a
slow receiver never holds SQLite's write lock. The attempt, the action's new state and the job
of the next attempt are then written in the job's transaction, together with the job's ``done``:
if the worker dies before that commit, the job is claimed again when its lease runs out and the
delivery is made again, with the same ``webhook-id`` (at least once, never silently lost).

Retries follow ``RETRY_DELAYS`` (about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, with ±10 % jitter);
after the last the action is failed, and can be retried by hand (``service.retry_run``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.google.crypto import TokenCipher
from calbridge.outbox.service import enqueue
from calbridge.rules import email, repository, webhooks
from calbridge.rules.models import EventRule, RuleRunAction, WebhookDelivery
from calbridge.rules.runtime import Runtime
from calbridge.rules.service import RUN_ACTION

RETRY_DELAYS = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600)
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class Pending:
    """What one attempt needs, copied out of the rows before the transaction ends."""

    action_id: int
    type: str
    delivery_id: str
    request: dict[str, Any]
    secret: str


def retry_delay(retry: int, rand: float | None = None) -> float | None:
    """Seconds before retry number ``retry`` (1 = the first retry), or None when none is left."""
    if retry > len(RETRY_DELAYS):
        return None
    jitter = (random.random() if rand is None else rand) * 0.2 - 0.1
    return RETRY_DELAYS[retry - 1] * (1 + jitter)


def pending(action: RuleRunAction, rule: EventRule, runtime: Runtime) -> Pending:
    cipher = TokenCipher.from_settings(runtime.settings)
    return Pending(
        action_id=action.id,
        type=action.type,
        delivery_id=action.delivery_id,
        request=dict(action.request),
        secret=cipher.decrypt(rule.secret_encrypted),
    )


def webhook_disabled(rule: EventRule, action: RuleRunAction) -> bool:
    """Whether the rule's webhook at this position (same URL) was disabled by a 410."""
    if action.position >= len(rule.actions):
        return False
    current = rule.actions[action.position]
    return bool(current.get("disabledAt")) and current.get("url") == action.request.get("url")


async def attempt(work: Pending, runtime: Runtime) -> webhooks.Attempt:
    """Make one attempt; nothing here touches the database."""
    settings = runtime.settings
    if work.type == "webhook":
        return await webhooks.send(
            work.request["url"],
            delivery_id=work.delivery_id,
            body=work.request["body"],
            secret=work.secret,
            timeout=settings.webhook_timeout_seconds,
            resolver=runtime.resolver,
            allowed_hosts=settings.webhook_allowed_private_hosts,
        )
    try:
        await email.send(work.request, delivery_id=work.delivery_id, settings=settings)
    except Exception as error:  # SMTP refusals, network errors: all worth a retry
        return webhooks.Attempt("retry", f"smtp://{settings.smtp_host}", error=_error(error))
    return webhooks.Attempt("succeeded", f"smtp://{settings.smtp_host}")


async def record(
    session: AsyncSession,
    work: Pending,
    result: webhooks.Attempt,
    *,
    first_attempt: int,
    runtime: Runtime,
) -> None:
    """Store the attempt and move the action on: done, disabled (410), or the next retry."""
    action = await repository.get_action(session, work.action_id)
    if action is None or action.status != "pending":
        return  # the rule was deleted, or another run of this job finished it meanwhile
    now = runtime.clock()
    action.attempts += 1
    session.add(
        WebhookDelivery(
            action_id=action.id,
            attempt=action.attempts,
            url=result.url,
            response_status=result.response_status,
            response_body=result.response_body,
            error=result.error,
            duration_ms=result.duration_ms,
            created_at=now,
        )
    )
    action.updated_at = now
    action.next_attempt_at = None
    action.error = result.error
    if result.outcome == "succeeded":
        action.status = "succeeded"
    elif result.outcome == "gone":
        action.status = "failed"
        await _disable_webhook(session, action, now.isoformat())
    else:
        delay = retry_delay(action.attempts - first_attempt)
        if delay is None:
            action.status = "failed"
        else:
            action.next_attempt_at = now + timedelta(seconds=delay)
            job = await enqueue(
                session, RUN_ACTION, action_id=action.id, first_attempt=first_attempt
            )
            job.run_after = action.next_attempt_at
    await session.flush()


async def _disable_webhook(session: AsyncSession, action: RuleRunAction, at: str) -> None:
    run = await repository.get_run_by_id(session, action.run_id)
    rule = None if run is None else await repository.get_rule_by_id(session, run.rule_id)
    if rule is None or action.position >= len(rule.actions):
        return
    actions = [dict(item) for item in rule.actions]
    if actions[action.position].get("url") == action.request.get("url"):
        actions[action.position]["disabledAt"] = at
        rule.actions = actions


def _error(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
