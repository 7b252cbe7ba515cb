"""Webhook and email deliveries: one attempt per job, every attempt stored, retries scheduled.

Each attempt is stored (and committed) before it is made, then made outside any database
transaction, so a slow receiver never holds SQLite's write lock. Its outcome, the action's new
state and the job of the next attempt are written in the job's transaction, together with the
job's ``done``: if the worker dies before that commit, the attempt stays in the history as cut
short, the job is claimed again when its lease runs out, and the delivery is made again with
the same ``webhook-id`` (at least once, never silently lost).

Retries follow ``RETRY_DELAYS`` (about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, with ±10 % jitter);
after the last the action is failed, and can be retried by hand (``service.retry_run``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.ops.metrics import count_webhook
from calbridge.outbox.backoff import RetryPolicy
from calbridge.outbox.service import enqueue
from calbridge.rules import email, repository, webhooks
from calbridge.rules.actions.jobs import RUN_ACTION
from calbridge.rules.models import EventRule, RuleRunAction, WebhookDelivery
from calbridge.statuses import ActionStatus

if TYPE_CHECKING:
    from calbridge.services import Services

# calbridge_webhook_deliveries_total's outcome of each attempt's outcome.
WEBHOOK_OUTCOMES = {"succeeded": "succeeded", "retry": "failed", "gone": "gone"}
logger = logging.getLogger(__name__)
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


# Seconds before retry number n (1 = the first retry); None when none is left.
DELIVERY_RETRIES = RetryPolicy(schedule=RETRY_DELAYS, jitter=(0.9, 1.1))


def pending(action: RuleRunAction, rule: EventRule, ctx: Services) -> Pending:
    return Pending(
        action_id=action.id,
        type=action.type,
        delivery_id=action.delivery_id,
        request=dict(action.request),
        secret=ctx.cipher.decrypt(rule.secret_encrypted),
    )


def webhook_disabled(rule: EventRule, action: RuleRunAction) -> bool:
    """Whether the rule's webhook at this position (same URL) was disabled by a 410."""
    if action.position >= len(rule.actions):
        return False
    current = rule.actions[action.position]
    return bool(current.get("disabledAt")) and current.get("url") == action.request.get("url")


async def attempt(work: Pending, ctx: Services) -> webhooks.Attempt:
    """Make one attempt; nothing here touches the database."""
    settings = ctx.settings
    if work.type == "webhook":
        result = await webhooks.send(
            work.request["url"],
            delivery_id=work.delivery_id,
            body=work.request["body"],
            secret=work.secret,
            timeout=settings.webhook_timeout_seconds,
            resolver=ctx.resolver,
            allowed_hosts=settings.webhook_allowed_private_hosts,
        )
        count_webhook(WEBHOOK_OUTCOMES[result.outcome])
        return result
    try:
        await email.send(work.request, delivery_id=work.delivery_id, settings=settings)
    except Exception as error:  # SMTP refusals, network errors: all worth a retry
        return webhooks.Attempt("retry", f"smtp://{settings.smtp_host}", error=_error(error))
    return webhooks.Attempt("succeeded", f"smtp://{settings.smtp_host}")


INTERRUPTED = "no outcome: the worker stopped during this attempt"


async def begin(session: AsyncSession, action: RuleRunAction, work: Pending, now: datetime) -> int:
    """Store the attempt before it is made (committed by the caller), so an attempt cut short
    by a crash still shows in the run's history. Returns the attempt row's id."""
    action.attempts += 1
    action.updated_at = now
    row = WebhookDelivery(
        action_id=action.id,
        attempt=action.attempts,
        url=work.request.get("url") if work.type == "webhook" else None,
        error=INTERRUPTED,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row.id


async def record(
    session: AsyncSession,
    work: Pending,
    attempt_id: int,
    result: webhooks.Attempt,
    *,
    first_attempt: int,
    now: datetime,
) -> None:
    """Store the attempt's outcome and move the action on: done, disabled (410), or retry."""
    row = await session.get(WebhookDelivery, attempt_id)
    action = await repository.get_action(session, work.action_id)
    if row is None or action is None or action.status != ActionStatus.PENDING:
        return  # the rule was deleted, or another run of this job finished it meanwhile
    row.url = result.url
    row.response_status = result.response_status
    row.response_body = result.response_body
    row.error = result.error
    row.duration_ms = result.duration_ms
    action.updated_at = now
    action.next_attempt_at = None
    action.error = result.error
    if result.outcome == "succeeded":
        action.status = ActionStatus.SUCCEEDED
    elif result.outcome == "gone":
        action.status = ActionStatus.FAILED
        await _disable_webhook(session, action, now.isoformat())
    else:
        delay = DELIVERY_RETRIES.seconds(action.attempts - first_attempt)
        if delay is None:
            action.status = ActionStatus.FAILED
        else:
            action.next_attempt_at = now + timedelta(seconds=delay)
            job = await enqueue(
                session, RUN_ACTION, action_id=action.id, first_attempt=first_attempt
            )
            job.run_after = action.next_attempt_at
    _log_failure(work, action, result)
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


def _log_failure(work: Pending, action: RuleRunAction, result: webhooks.Attempt) -> None:
    """One line per failed attempt, naming only the receiver's origin: a webhook URL may carry
    a secret in its path or query."""
    if result.outcome == "succeeded":
        return
    if action.status == ActionStatus.FAILED:
        fate = "the action has failed" + (
            " (410: webhook disabled)" if result.outcome == "gone" else ""
        )
    else:
        fate = f"next attempt at {action.next_attempt_at:%Y-%m-%dT%H:%M:%SZ}"
    logger.warning(
        "%s delivery %s (action %s) attempt %s to %s failed: %s; %s",
        work.type,
        work.delivery_id,
        action.id,
        action.attempts,
        _origin(result.url),
        result.error or f"HTTP {result.response_status}",
        fate,
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def _error(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
