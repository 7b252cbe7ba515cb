"""Members of a workspace: list, add, edit, remove (through the workspace service)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from calbridge.admin.common import PageNotFound, form_text, load_workspace
from calbridge.admin.csrf import CheckedForm
from calbridge.admin.list_queries import MEMBERS
from calbridge.admin.notice import redirect_with
from calbridge.admin.render import field_errors, render
from calbridge.admin.session import CurrentAdmin
from calbridge.deps import SessionDep
from calbridge.errors import CalbridgeError, NotFound
from calbridge.schemas import PathId
from calbridge.workspace import service
from calbridge.workspace.models import Member, Workspace
from calbridge.workspace.schemas import MemberCreate, MemberUpdate

router = APIRouter()


async def _page(
    request: Request, admin: CurrentAdmin, db: SessionDep, uuid: str, **context: Any
) -> Response:
    workspace = await load_workspace(db, uuid)
    listing = MEMBERS.listing(f"/admin/w/{uuid}/members", request.query_params)
    paged = await MEMBERS.page(db, listing, Member.workspace_id == workspace.id)
    return render(
        request,
        "members.html",
        admin,
        workspace=workspace,
        paged=paged,
        listing=listing,
        tab="members",
        **context,
    )


@router.get("/w/{uuid}/members")
async def list_members(
    request: Request, uuid: str, admin: CurrentAdmin, db: SessionDep
) -> Response:
    """Searchable by name and email, sorted by either."""
    return await _page(request, admin, db, uuid)


@router.post("/w/{uuid}/members")
async def add_member(
    request: Request, uuid: str, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    workspace = await load_workspace(db, uuid)
    values = _values(form)
    try:
        await service.create_member(db, workspace, MemberCreate.model_validate(values))
    except (ValidationError, CalbridgeError) as error:
        await db.rollback()
        errors = _errors(error)
        return await _page(request, admin, db, uuid, status_code=422, errors=errors, form=values)
    return redirect_with(request, f"/admin/w/{uuid}/members", f"Member “{values['name']}” added.")


def _values(form: Any) -> dict[str, str]:
    return {"name": form_text(form.get("name"), 300), "email": form_text(form.get("email"), 400)}


def _errors(error: Exception) -> dict[str, str]:
    errors = field_errors(error)
    if "_form" in errors and "member" in errors["_form"].lower():
        errors["email"] = errors.pop("_form")  # member_exists: the email is taken
    return errors


async def _member(db: SessionDep, uuid: str, member_id: int) -> tuple[Workspace, Member]:
    workspace = await load_workspace(db, uuid)
    try:
        return workspace, await service.get_member(db, workspace, member_id)
    except NotFound:
        raise PageNotFound("Member") from None


def _edit_page(
    request: Request,
    admin: CurrentAdmin,
    workspace: Workspace,
    member_id: PathId,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "member.html",
        admin,
        status_code=status_code,
        workspace=workspace,
        member_id=member_id,
        form=values,
        errors=errors or {},
        tab="members",
    )


@router.get("/w/{uuid}/members/{member_id}")
async def edit_member(
    request: Request, uuid: str, member_id: PathId, admin: CurrentAdmin, db: SessionDep
) -> Response:
    workspace, member = await _member(db, uuid, member_id)
    values = {"name": member.name, "email": member.email}
    return _edit_page(request, admin, workspace, member.id, values)


@router.post("/w/{uuid}/members/{member_id}")
async def save_member(
    request: Request,
    uuid: str,
    member_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    workspace = await load_workspace(db, uuid)
    values = _values(form)
    try:
        await service.update_member(db, workspace, member_id, MemberUpdate.model_validate(values))
    except NotFound:
        raise PageNotFound("Member") from None
    except (ValidationError, CalbridgeError) as error:
        await db.rollback()
        workspace = await load_workspace(db, uuid)
        return _edit_page(request, admin, workspace, member_id, values, _errors(error), 422)
    return redirect_with(request, f"/admin/w/{uuid}/members", f"Member “{values['name']}” saved.")


@router.post("/w/{uuid}/members/{member_id}/delete")
async def remove_member(
    request: Request,
    uuid: str,
    member_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    workspace, member = await _member(db, uuid, member_id)
    name = member.name
    try:
        await service.delete_member(db, workspace, member_id)
    except CalbridgeError as error:
        await db.rollback()
        return await _page(request, admin, db, uuid, status_code=409, errors=field_errors(error))
    return redirect_with(request, f"/admin/w/{uuid}/members", f"Member “{name}” removed.")
