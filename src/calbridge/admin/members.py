"""Members of a workspace: list, add, remove (through the workspace service)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from calbridge.admin.common import form_text, load_workspace
from calbridge.admin.csrf import CheckedForm
from calbridge.admin.render import PAGE_SIZE, Pager, field_errors, page_number, redirect, render
from calbridge.admin.session import CurrentAdmin
from calbridge.deps import SessionDep
from calbridge.errors import CalbridgeError
from calbridge.workspace import repository, service
from calbridge.workspace.schemas import MemberCreate

router = APIRouter()


async def _page(
    request: Request, admin: CurrentAdmin, db: SessionDep, uuid: str, page: int, **context: Any
) -> Response:
    workspace = await load_workspace(db, uuid)
    members = await repository.page_members(db, workspace.id, page=page, size=PAGE_SIZE)
    return render(
        request,
        "members.html",
        admin,
        workspace=workspace,
        members=members.items,
        pager=Pager(page, members.total),
        tab="members",
        **context,
    )


@router.get("/w/{uuid}/members")
async def list_members(
    request: Request, uuid: str, admin: CurrentAdmin, db: SessionDep, page: str | None = None
) -> Response:
    return await _page(request, admin, db, uuid, page_number(page))


@router.post("/w/{uuid}/members")
async def add_member(
    request: Request, uuid: str, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    workspace = await load_workspace(db, uuid)
    values = {"name": form_text(form.get("name"), 300), "email": form_text(form.get("email"), 400)}
    try:
        await service.create_member(db, workspace, MemberCreate.model_validate(values))
    except (ValidationError, CalbridgeError) as error:
        await db.rollback()
        errors = field_errors(error)
        if "_form" in errors and "member" in errors["_form"].lower():
            errors["email"] = errors.pop("_form")
        return await _page(request, admin, db, uuid, 1, status_code=422, errors=errors, form=values)
    return redirect(f"/admin/w/{uuid}/members")


@router.post("/w/{uuid}/members/{member_id}/delete")
async def remove_member(
    request: Request,
    uuid: str,
    member_id: int,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    workspace = await load_workspace(db, uuid)
    try:
        await service.delete_member(db, workspace, member_id)
    except CalbridgeError as error:
        await db.rollback()
        return await _page(request, admin, db, uuid, 1, status_code=409, errors=field_errors(error))
    return redirect(f"/admin/w/{uuid}/members")
