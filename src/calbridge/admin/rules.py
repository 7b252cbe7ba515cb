"""Event rules: list, create, edit, turn on and off, delete; each rule's runs with their
outcome and a retry button; the webhook signing secret shown once (at create and at rotate).

Every change goes through ``rules.service``, as the API's do. A page that shows a secret is
the answer to the POST that made it (never a redirect target, never cached), so it cannot be
shown again by reloading or going back later."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from calbridge.admin import flash, rule_rows
from calbridge.admin.common import PageNotFound, load_workspace
from calbridge.admin.csrf import CheckedForm
from calbridge.admin.list_queries import RULES
from calbridge.admin.listing import Listing
from calbridge.admin.notice import redirect_with
from calbridge.admin.render import redirect, render
from calbridge.admin.rule_form import TRIGGERS, FormErrors, RuleForm, service_errors
from calbridge.admin.session import CurrentAdmin
from calbridge.calendar import repository as calendar_repository
from calbridge.crypto import TokenCipher
from calbridge.deps import SessionDep
from calbridge.errors import CalbridgeError, NotFound
from calbridge.pagination import Paged
from calbridge.rules import service
from calbridge.rules.models import EventRule
from calbridge.rules.schemas import RuleResponse, RuleUpdate
from calbridge.schemas import PageParams, PathId
from calbridge.services import services_of
from calbridge.workspace import repository as workspace_repository
from calbridge.workspace.models import Workspace

router = APIRouter()
# A workspace with more calendars (or members) than this names them in the API instead.
CALENDAR_CHOICES = 200


def _cipher(request: Request) -> TokenCipher:
    return services_of(request).cipher


def _secret_page(uuid: str, rule_id: int) -> str:
    """Where a rule's new signing secret is shown once (admin/flash.py)."""
    return f"rule-secret:{uuid}:{rule_id}"


def _rules_url(uuid: str) -> str:
    return f"/admin/w/{uuid}/rules"


async def _rule(db: SessionDep, uuid: str, rule_id: int) -> tuple[Workspace, RuleResponse]:
    workspace = await load_workspace(db, uuid)
    try:
        return workspace, RuleResponse.model_validate(
            await service.get_rule(db, workspace, rule_id)
        )
    except NotFound:
        raise PageNotFound("Event rule") from None


async def _refused_targets(request: Request, typed: RuleForm) -> CalbridgeError | None:
    """The form's webhook targets, checked as the API checks them and before any database work
    (a DNS lookup must hold no lock); a form that does not parse is left to the save's errors."""
    try:
        await service.check_webhook_targets(typed.parse().actions, services_of(request))
    except FormErrors:
        return None
    except CalbridgeError as refusal:
        return refusal
    return None


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


async def _form_page(
    request: Request,
    admin: CurrentAdmin,
    db: SessionDep,
    workspace: Workspace,
    form: RuleForm,
    *,
    rule_id: int | None = None,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    calendars = await calendar_repository.page_calendars(
        db, workspace.id, page=1, size=CALENDAR_CHOICES
    )
    errors = errors or {}
    if any(key.startswith(("condition-", "action-")) for key in errors):
        errors.setdefault("_form", "Some rows need a fix; each is marked below.")
    members = await workspace_repository.page_members(
        db, workspace.id, page=1, size=CALENDAR_CHOICES
    )
    return render(
        request,
        "rule_form.html",
        admin,
        status_code=status_code,
        workspace=workspace,
        form=form,
        rule_id=rule_id,
        triggers=TRIGGERS,
        calendars=calendars.items,
        members=members.items,
        rows=rule_rows,
        errors=errors,
        tab="rules",
    )


def _edit_command(form: CheckedForm) -> str:
    """The editing button a form was posted with when JavaScript is off ("" when saving)."""
    command = form.get("edit")
    return command if isinstance(command, str) else ""


async def _rule_page(
    request: Request,
    admin: CurrentAdmin,
    db: SessionDep,
    uuid: str,
    rule_id: PathId,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    workspace, rule = await _rule(db, uuid, rule_id)
    # Runs come newest first only: the list has pages and a page size, no search or sort.
    listing = Listing.of(
        f"{_rules_url(uuid)}/{rule_id}", request.query_params, ("run",), descending=True
    )
    runs = await service.list_runs(db, workspace, rule_id, PageParams(listing.page, listing.size))
    calendars = await calendar_repository.calendars_by_id(
        db, workspace.id, set(rule.calendar_ids or [])
    )
    response = render(
        request,
        "rule.html",
        admin,
        status_code=status_code,
        workspace=workspace,
        rule=rule,
        calendar_names=[
            calendars[i].name if i in calendars else f"#{i}" for i in rule.calendar_ids or []
        ],
        runs=Paged(runs.items, runs.total, listing.page, listing.size),
        listing=listing,
        tab="rules",
        **context,
    )
    return _no_store(response)


@router.get("/w/{uuid}/rules")
async def list_rules(request: Request, uuid: str, admin: CurrentAdmin, db: SessionDep) -> Response:
    """Searchable by name; sorted by name or state."""
    workspace = await load_workspace(db, uuid)
    listing = RULES.listing(_rules_url(uuid), request.query_params)
    paged = await RULES.page(db, listing, EventRule.workspace_id == workspace.id)
    return render(
        request,
        "rules.html",
        admin,
        workspace=workspace,
        rules=[RuleResponse.model_validate(rule) for rule in paged.items],
        paged=paged,
        listing=listing,
        tab="rules",
    )


@router.get("/w/{uuid}/rules/new")
async def new_rule(request: Request, uuid: str, admin: CurrentAdmin, db: SessionDep) -> Response:
    workspace = await load_workspace(db, uuid)
    return await _form_page(request, admin, db, workspace, RuleForm())


@router.post("/w/{uuid}/rules")
async def add_rule(
    request: Request, uuid: str, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    typed = RuleForm.of_post(form)
    if command := _edit_command(form):
        typed.edit(command, form)
        return await _form_page(request, admin, db, await load_workspace(db, uuid), typed)
    target_refusal = await _refused_targets(request, typed)
    workspace = await load_workspace(db, uuid)
    try:
        if target_refusal is not None:
            raise target_refusal  # shown like any other refusal of the service
        rule, secret = await service.create_rule(
            db, workspace, typed.parse(), cipher=_cipher(request)
        )
    except FormErrors as refused:
        return await _form_page(
            request, admin, db, workspace, typed, status_code=422, errors=refused.errors
        )
    except CalbridgeError as error:
        await db.rollback()
        workspace = await load_workspace(db, uuid)
        return await _form_page(
            request, admin, db, workspace, typed, status_code=422, errors=service_errors(error)
        )
    await flash.stash(request, db, admin, _secret_page(uuid, rule.id), secret=secret, created=True)
    return redirect(f"{_rules_url(uuid)}/{rule.id}?secret=1")


@router.get("/w/{uuid}/rules/{rule_id}")
async def show_rule(
    request: Request,
    uuid: str,
    rule_id: PathId,
    admin: CurrentAdmin,
    db: SessionDep,
    secret: str | None = None,
) -> Response:
    shown = (
        None if secret is None else await flash.take(request, admin, _secret_page(uuid, rule_id))
    )
    return await _rule_page(request, admin, db, uuid, rule_id, **(shown or {}))


@router.get("/w/{uuid}/rules/{rule_id}/edit")
async def edit_rule(
    request: Request, uuid: str, rule_id: PathId, admin: CurrentAdmin, db: SessionDep
) -> Response:
    workspace, rule = await _rule(db, uuid, rule_id)
    return await _form_page(request, admin, db, workspace, RuleForm.of_rule(rule), rule_id=rule_id)


@router.post("/w/{uuid}/rules/{rule_id}/edit")
async def save_rule(
    request: Request,
    uuid: str,
    rule_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    typed = RuleForm.of_post(form)
    target_refusal = None if _edit_command(form) else await _refused_targets(request, typed)
    workspace, _ = await _rule(db, uuid, rule_id)
    if command := _edit_command(form):
        typed.edit(command, form)
        return await _form_page(request, admin, db, workspace, typed, rule_id=rule_id)
    try:
        if target_refusal is not None:
            raise target_refusal  # shown like any other refusal of the service
        # Every field is replaced (no calendar ticked: ``calendarIds`` null, every calendar).
        fields = typed.parse().model_dump(by_alias=True)
        await service.update_rule(db, workspace, rule_id, RuleUpdate.model_validate(fields))
    except FormErrors as refused:
        errors = refused.errors
    except CalbridgeError as error:
        await db.rollback()
        errors = service_errors(error)
    else:
        return redirect_with(request, f"{_rules_url(uuid)}/{rule_id}", "Event rule saved.")
    workspace = await load_workspace(db, uuid)
    return await _form_page(
        request, admin, db, workspace, typed, rule_id=rule_id, status_code=422, errors=errors
    )


@router.post("/w/{uuid}/rules/{rule_id}/enabled")
async def set_enabled(
    request: Request,
    uuid: str,
    rule_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    workspace, _ = await _rule(db, uuid, rule_id)
    await service.set_enabled(db, workspace, rule_id, form.get("enabled") == "on")
    back = form.get("back")
    return redirect(back if back == _rules_url(uuid) else f"{_rules_url(uuid)}/{rule_id}")


@router.post("/w/{uuid}/rules/{rule_id}/rotate-secret")
async def rotate_secret(
    request: Request,
    uuid: str,
    rule_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    workspace, _ = await _rule(db, uuid, rule_id)
    secret = await service.rotate_secret(db, workspace, rule_id, cipher=_cipher(request))
    await flash.stash(request, db, admin, _secret_page(uuid, rule_id), secret=secret)
    return redirect(f"{_rules_url(uuid)}/{rule_id}?secret=1")


@router.post("/w/{uuid}/rules/{rule_id}/delete")
async def delete_rule(
    request: Request,
    uuid: str,
    rule_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    workspace, rule = await _rule(db, uuid, rule_id)
    name = rule.name
    await service.delete_rule(db, workspace, rule_id)
    return redirect_with(request, _rules_url(uuid), f"Event rule “{name}” deleted.")


@router.post("/w/{uuid}/rules/{rule_id}/runs/{run_id}/retry")
async def retry_run(
    request: Request,
    uuid: str,
    rule_id: PathId,
    run_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    workspace, _ = await _rule(db, uuid, rule_id)
    try:
        await service.retry_run(db, workspace, rule_id, run_id)
    except NotFound:
        raise PageNotFound("Rule run") from None
    except CalbridgeError as error:
        await db.rollback()
        return await _rule_page(
            request, admin, db, uuid, rule_id, status_code=409, errors={"_form": error.detail}
        )
    return redirect(f"{_rules_url(uuid)}/{rule_id}?retried={run_id}")
