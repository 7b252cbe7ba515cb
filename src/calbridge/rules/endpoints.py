"""Event rules API: /api/v2/w/{workspace_uuid}/event-rules (read scope reads, admin changes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from calbridge.deps import AdminSubject, ReadSubject, SessionDep
from calbridge.errors import problem_responses
from calbridge.rules import service, trial
from calbridge.rules.schemas import (
    RuleCreate,
    RuleCreated,
    RuleResponse,
    RuleSecret,
    RuleTestRequest,
    RuleTestResponse,
    RuleUpdate,
    RunResponse,
)
from calbridge.schemas import Deleted, Page, PageParams, PathId, page_params
from calbridge.services import ServicesDep

router = APIRouter(prefix="/event-rules", tags=["event rules"])
AUTH = (401, 403, 404)
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("", responses=problem_responses(*AUTH, 422))
async def list_event_rules(
    subject: ReadSubject, session: SessionDep, paging: Paging
) -> Page[RuleResponse]:
    """The workspace's rules, by id."""
    return await service.list_rules(session, subject.workspace, paging)


@router.post("", status_code=201, responses=problem_responses(*AUTH, 413, 422))
async def create_event_rule(
    body: RuleCreate,
    subject: AdminSubject,
    session: SessionDep,
    services: ServicesDep,
    response: Response,
) -> RuleCreated:
    """Create a rule. The response carries the webhook signing secret (``whsec_…``): it is
    shown this once (rotate it with POST …/rotate-secret). A webhook to a private or loopback
    address → 422 webhook_target_refused (unless CALBRIDGE_WEBHOOK_ALLOWED_PRIVATE_HOSTS names
    the host)."""
    await service.check_webhook_targets(body.actions, services)
    rule, secret = await service.create_rule(
        session, subject.workspace, body, cipher=services.cipher
    )
    response.headers["Location"] = f"/api/v2/w/{subject.workspace.uuid}/event-rules/{rule.id}"
    return RuleCreated(**RuleResponse.model_validate(rule).model_dump(), secret=secret)


@router.get("/{rule_id}", responses=problem_responses(*AUTH, 422))
async def get_event_rule(
    rule_id: PathId, subject: ReadSubject, session: SessionDep
) -> RuleResponse:
    """One rule (without its secret)."""
    return RuleResponse.model_validate(await service.get_rule(session, subject.workspace, rule_id))


@router.patch("/{rule_id}", responses=problem_responses(*AUTH, 413, 422))
async def update_event_rule(
    rule_id: PathId,
    body: RuleUpdate,
    subject: AdminSubject,
    session: SessionDep,
    services: ServicesDep,
) -> RuleResponse:
    """Change any subset of the rule's fields; ``{"enabled": false}`` turns it off. Webhook
    targets are checked as on create."""
    await service.check_webhook_targets(body.actions, services)
    rule = await service.update_rule(session, subject.workspace, rule_id, body)
    return RuleResponse.model_validate(rule)


@router.delete("/{rule_id}", responses=problem_responses(*AUTH, 422))
async def delete_event_rule(rule_id: PathId, subject: AdminSubject, session: SessionDep) -> Deleted:
    """Delete the rule and its run history."""
    await service.delete_rule(session, subject.workspace, rule_id)
    return Deleted(id=rule_id)


@router.post("/{rule_id}/rotate-secret", responses=problem_responses(*AUTH, 422))
async def rotate_event_rule_secret(
    rule_id: PathId, subject: AdminSubject, session: SessionDep, services: ServicesDep
) -> RuleSecret:
    """A new signing secret, shown once; the old one stops signing at once."""
    secret = await service.rotate_secret(
        session, subject.workspace, rule_id, cipher=services.cipher
    )
    return RuleSecret(secret=secret)


@router.get("/{rule_id}/runs", responses=problem_responses(*AUTH, 422))
async def list_event_rule_runs(
    rule_id: PathId, subject: ReadSubject, session: SessionDep, paging: Paging
) -> Page[RunResponse]:
    """The rule's runs, newest first: the event, the change, and each action's outcome with
    its attempts (the receiver's status and the first 2000 characters of its answer)."""
    return await service.list_runs(session, subject.workspace, rule_id, paging)


@router.post("/{rule_id}/runs/{run_id}/retry", responses=problem_responses(*AUTH, 409, 422))
async def retry_event_rule_run(
    rule_id: PathId, run_id: PathId, subject: AdminSubject, session: SessionDep
) -> RunResponse:
    """Run the run's failed actions again (409 run_not_failed if none failed)."""
    return await service.retry_run(session, subject.workspace, rule_id, run_id)


@router.post("/{rule_id}/test", responses=problem_responses(*AUTH, 413, 422))
async def test_event_rule(
    rule_id: PathId,
    body: RuleTestRequest,
    subject: AdminSubject,
    session: SessionDep,
    services: ServicesDep,
) -> RuleTestResponse:
    """Run the rule against an event as it is now, as if ``trigger`` had just happened: says
    which parts matched and what each action would do. Webhooks and emails are really sent
    (signed as usual, with a fresh ``webhook-id``); event actions are only described."""
    return await trial.try_rule(session, subject.workspace, rule_id, body, services)
