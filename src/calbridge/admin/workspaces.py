"""Workspaces: list, create, settings (name and time zone), delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from calbridge.admin.common import PageNotFound, form_text, load_workspace
from calbridge.admin.csrf import CheckedForm
from calbridge.admin.list_queries import WORKSPACES
from calbridge.admin.notice import redirect_with
from calbridge.admin.render import field_errors, render
from calbridge.admin.session import CurrentAdmin
from calbridge.deps import SessionDep
from calbridge.errors import CalbridgeError, NotFound
from calbridge.timezones import InvalidTimezone, load_timezone
from calbridge.workspace.service import create_workspace, delete_workspace, update_workspace

router = APIRouter()


def _check(name: str, timezone: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "A name is required."
    elif len(name) > 255:
        errors["name"] = "At most 255 characters."
    try:
        load_timezone(timezone)
    except InvalidTimezone:
        errors["timezone"] = f"Unknown time zone {timezone!r}; pick an IANA name from the list."
    return errors


async def _list_page(
    request: Request, admin: CurrentAdmin, db: SessionDep, **context: Any
) -> Response:
    listing = WORKSPACES.listing("/admin/workspaces", request.query_params)
    paged = await WORKSPACES.page(db, listing)
    return render(request, "workspaces.html", admin, paged=paged, listing=listing, **context)


@router.get("/workspaces")
async def list_workspaces(request: Request, admin: CurrentAdmin, db: SessionDep) -> Response:
    """Searchable by name, time zone and UUID; sorted by name or zone (listing.py)."""
    return await _list_page(request, admin, db)


@router.post("/workspaces")
async def add_workspace(
    request: Request, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    name, timezone = form_text(form.get("name"), 300), form_text(form.get("timezone"), 100)
    errors = _check(name, timezone)
    if errors:
        return await _list_page(
            request,
            admin,
            db,
            status_code=422,
            errors=errors,
            form={"name": name, "timezone": timezone},
        )
    workspace = await create_workspace(db, name=name, timezone=timezone)
    return redirect_with(request, f"/admin/w/{workspace.uuid}", f"Workspace “{name}” created.")


@router.get("/w/{uuid}")
async def workspace_settings(
    request: Request, uuid: str, admin: CurrentAdmin, db: SessionDep
) -> Response:
    workspace = await load_workspace(db, uuid)
    form = {"name": workspace.name, "timezone": workspace.timezone}
    return render(request, "workspace.html", admin, workspace=workspace, form=form, tab="settings")


@router.post("/w/{uuid}")
async def save_workspace(
    request: Request, uuid: str, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    workspace = await load_workspace(db, uuid)
    name, timezone = form_text(form.get("name"), 300), form_text(form.get("timezone"), 100)
    errors = _check(name, timezone)
    if errors:
        return render(
            request,
            "workspace.html",
            admin,
            status_code=422,
            workspace=workspace,
            form={"name": name, "timezone": timezone},
            errors=errors,
            tab="settings",
        )
    await update_workspace(db, workspace, name=name, timezone=timezone)
    return redirect_with(request, f"/admin/w/{uuid}", f"Workspace “{name}” saved.")


@router.post("/w/{uuid}/delete")
async def remove_workspace(
    request: Request, uuid: str, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    """Refused (409, nothing deleted) while the workspace holds calendars, members or accounts."""
    workspace = await load_workspace(db, uuid)
    name = workspace.name
    try:
        await delete_workspace(db, uuid)
    except NotFound:
        raise PageNotFound("Workspace") from None
    except CalbridgeError as error:
        await db.rollback()
        workspace = await load_workspace(db, uuid)
        return render(
            request,
            "workspace.html",
            admin,
            status_code=error.status_code,
            workspace=workspace,
            form={"name": workspace.name, "timezone": workspace.timezone},
            errors=field_errors(error),
            tab="settings",
        )
    return redirect_with(request, "/admin/workspaces", f"Workspace “{name}” deleted.")
