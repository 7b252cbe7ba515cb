"""Event rules for the API and the admin panel: create, change, delete, rotate the secret, the
run history and its retry. Services never commit; the caller's transaction does."""

from __future__ import annotations

import base64
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.calendar import repository as calendar_repository
from calbridge.crypto import TokenCipher
from calbridge.db import utcnow
from calbridge.errors import Conflict, FieldError, NotFound, ValidationProblem
from calbridge.rules import repository, ssrf
from calbridge.rules.actions.jobs import enqueue_action
from calbridge.rules.evaluate import RuleSpec
from calbridge.rules.models import EventRule, RuleRun, RuleRunAction, WebhookDelivery
from calbridge.rules.schemas import (
    Action,
    AddAttendeeAction,
    AttemptResponse,
    RuleCreate,
    RuleResponse,
    RuleUpdate,
    RunActionResponse,
    RunResponse,
    WebhookAction,
)
from calbridge.schemas import Page, PageParams
from calbridge.statuses import ActionStatus
from calbridge.workspace import repository as workspace_repository
from calbridge.workspace.models import Workspace

if TYPE_CHECKING:
    from calbridge.services import Services


def generate_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def spec(rule: EventRule) -> RuleSpec:
    return RuleSpec(
        id=rule.id,
        triggers=list(rule.triggers),
        calendar_ids=None if rule.calendar_ids is None else list(rule.calendar_ids),
        conditions=list(rule.conditions),
        actions=list(rule.actions),
        enabled=rule.enabled,
    )


async def get_rule(session: AsyncSession, workspace: Workspace, rule_id: int) -> EventRule:
    rule = await repository.get_rule(session, workspace.id, rule_id)
    if rule is None:
        raise NotFound("Event rule")
    return rule


async def list_rules(
    session: AsyncSession, workspace: Workspace, paging: PageParams
) -> Page[RuleResponse]:
    rules = await repository.page_rules(
        session, workspace.id, page=paging.page, size=paging.page_size
    )
    return Page.of(rules, [RuleResponse.model_validate(rule) for rule in rules.items])


async def create_rule(
    session: AsyncSession, workspace: Workspace, data: RuleCreate, *, cipher: TokenCipher
) -> tuple[EventRule, str]:
    """The new rule and its signing secret, in clear: show it once, it is not shown again."""
    fields = _dump(data)
    await _check_references(session, workspace, fields.get("calendarIds"), data.actions)
    secret = generate_secret()
    now = utcnow()
    rule = EventRule(
        workspace_id=workspace.id,
        name=data.name,
        enabled=data.enabled,
        triggers=fields["triggers"],
        calendar_ids=fields.get("calendarIds"),
        conditions=fields["conditions"],
        actions=fields["actions"],
        secret_encrypted=cipher.encrypt(secret),
        created_at=now,
        updated_at=now,
    )
    session.add(rule)
    await session.flush()
    return rule, secret


async def update_rule(
    session: AsyncSession, workspace: Workspace, rule_id: int, data: RuleUpdate
) -> EventRule:
    """Change any subset of fields (``enabled`` alone turns a rule on or off)."""
    rule = await get_rule(session, workspace, rule_id)
    fields = _dump(data, only_set=True)
    await _check_references(session, workspace, fields.get("calendarIds"), data.actions)
    for wire, attribute in (
        ("name", "name"),
        ("enabled", "enabled"),
        ("triggers", "triggers"),
        ("calendarIds", "calendar_ids"),
        ("conditions", "conditions"),
        ("actions", "actions"),
    ):
        if wire in fields:
            setattr(rule, attribute, fields[wire])
    rule.updated_at = utcnow()
    await session.flush()
    return rule


async def set_enabled(
    session: AsyncSession, workspace: Workspace, rule_id: int, enabled: bool
) -> EventRule:
    return await update_rule(session, workspace, rule_id, RuleUpdate(enabled=enabled))


async def delete_rule(session: AsyncSession, workspace: Workspace, rule_id: int) -> None:
    """Deletes the rule with its run history; deliveries still waiting are dropped."""
    rule = await get_rule(session, workspace, rule_id)
    await session.delete(rule)
    await session.flush()


async def rotate_secret(
    session: AsyncSession, workspace: Workspace, rule_id: int, *, cipher: TokenCipher
) -> str:
    """A new signing secret for the rule (returned in clear, once). Deliveries still waiting,
    retries included, are signed with the new one."""
    rule = await get_rule(session, workspace, rule_id)
    secret = generate_secret()
    rule.secret_encrypted = cipher.encrypt(secret)
    rule.updated_at = utcnow()
    await session.flush()
    return secret


async def list_runs(
    session: AsyncSession, workspace: Workspace, rule_id: int, paging: PageParams
) -> Page[RunResponse]:
    """The rule's runs, newest first, each with its actions' outcomes and attempts."""
    rule = await get_rule(session, workspace, rule_id)
    runs = await repository.page_runs(session, rule.id, page=paging.page, size=paging.page_size)
    return Page.of(runs, await _present_runs(session, runs.items))


async def get_run(
    session: AsyncSession, workspace: Workspace, rule_id: int, run_id: int
) -> RunResponse:
    rule = await get_rule(session, workspace, rule_id)
    run = await repository.get_run(session, rule.id, run_id)
    if run is None:
        raise NotFound("Rule run")
    return (await _present_runs(session, [run]))[0]


async def retry_run(
    session: AsyncSession, workspace: Workspace, rule_id: int, run_id: int
) -> RunResponse:
    """Run the run's failed actions again (webhooks keep their ``webhook-id``), each with a
    fresh retry schedule. A run with no failed action → 409 ``run_not_failed``."""
    rule = await get_rule(session, workspace, rule_id)
    run = await repository.get_run(session, rule.id, run_id)
    if run is None:
        raise NotFound("Rule run")
    actions = (await repository.actions_of_runs(session, [run.id])).get(run.id, [])
    failed = [action for action in actions if action.status == ActionStatus.FAILED]
    if not failed:
        raise Conflict("This run has no failed action to retry.", code="run_not_failed")
    for action in failed:
        action.status = ActionStatus.PENDING
        action.error = None
        action.next_attempt_at = None
        action.updated_at = utcnow()
        await enqueue_action(session, action, first_attempt=action.attempts)
    await session.flush()
    return (await _present_runs(session, [run]))[0]


def run_status(actions: list[RuleRunAction]) -> ActionStatus:
    """pending while any action waits; failed if any failed; else succeeded."""
    statuses = {action.status for action in actions}
    if ActionStatus.PENDING in statuses:
        return ActionStatus.PENDING
    if ActionStatus.FAILED in statuses:
        return ActionStatus.FAILED
    return ActionStatus.SUCCEEDED


async def _present_runs(session: AsyncSession, runs: list[RuleRun]) -> list[RunResponse]:
    actions = await repository.actions_of_runs(session, [run.id for run in runs])
    attempts = await repository.attempts_of_actions(
        session, [action.id for run_actions in actions.values() for action in run_actions]
    )
    return [
        RunResponse(
            id=run.id,
            rule_id=run.rule_id,
            event_id=run.event_id,
            change=run.change,
            status=run_status(actions.get(run.id, [])),
            created_at=run.created_at,
            actions=[
                _present_action(action, attempts.get(action.id, []))
                for action in actions.get(run.id, [])
            ],
        )
        for run in runs
    ]


def _present_action(action: RuleRunAction, attempts: list[WebhookDelivery]) -> RunActionResponse:
    return RunActionResponse(
        position=action.position,
        type=action.type,
        status=action.status,
        attempts=action.attempts,
        delivery_id=action.delivery_id,
        error=action.error,
        next_attempt_at=action.next_attempt_at,
        attempt_log=[
            AttemptResponse(
                attempt=attempt.attempt,
                at=attempt.created_at,
                url=attempt.url,
                response_status=attempt.response_status,
                response_body=attempt.response_body,
                error=attempt.error,
                duration_ms=attempt.duration_ms,
            )
            for attempt in attempts
        ],
    )


def _dump(data: RuleCreate | RuleUpdate, *, only_set: bool = False) -> dict[str, Any]:
    dumped: dict[str, Any] = data.model_dump(mode="json", by_alias=True, exclude_unset=only_set)
    return dumped


async def _check_references(
    session: AsyncSession,
    workspace: Workspace,
    calendar_ids: list[int] | None,
    actions: list[Action] | None,
) -> None:
    """Calendars and members a rule names must be this workspace's (422 naming the field)."""
    errors: list[FieldError] = []
    if calendar_ids:
        found = await calendar_repository.calendars_by_id(session, workspace.id, set(calendar_ids))
        errors += [
            FieldError(field=f"calendarIds.{index}", message=f"unknown calendar {calendar_id}")
            for index, calendar_id in enumerate(calendar_ids)
            if calendar_id not in found
        ]
    wanted = {
        index: action.member_id
        for index, action in enumerate(actions or [])
        if isinstance(action, AddAttendeeAction)
    }
    if wanted:
        members = await workspace_repository.members_by_id(
            session, workspace.id, set(wanted.values())
        )
        errors += [
            FieldError(field=f"actions.{index}.memberId", message=f"unknown member {member_id}")
            for index, member_id in wanted.items()
            if member_id not in members
        ]
    if errors:
        code = (
            "calendar_not_found" if errors[0].field.startswith("calendar") else ("member_not_found")
        )
        raise ValidationProblem(
            "; ".join(f"{error.field}: {error.message}" for error in errors),
            code=code,
            errors=errors,
        )


async def check_webhook_targets(actions: list[Any] | None, ctx: Services) -> None:
    """Refuse webhook targets that point at private or loopback addresses when a rule is saved
    (the API and the admin panel alike; the send-time guard stays). Call it before the save's
    transaction begins: a DNS lookup must hold no database lock. ``rules.ssrf`` explains what is
    refused."""
    urls = [
        (f"actions.{index}.url", action.url)
        for index, action in enumerate(actions or [])
        if isinstance(action, WebhookAction)
    ]
    if not urls:
        return
    refusals = await ssrf.check_at_save(
        urls, resolver=ctx.resolver, allowed_hosts=ctx.settings.webhook_allowed_private_hosts
    )
    if refusals:
        errors = [FieldError(field=field, message=message) for field, message in refusals]
        raise ValidationProblem(errors[0].message, code="webhook_target_refused", errors=errors)
