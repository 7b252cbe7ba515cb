"""Calendars: list, create, edit (time zone, weekly availability with date exceptions,
attendee limit, overlap policy, Google link) and delete, all through the calendar service. A
form posted by one of the
availability editor's buttons (``edit``, when JavaScript is off) comes back with that change
made and nothing saved."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from calbridge.admin import calendar_google
from calbridge.admin.availability_form import DAYS
from calbridge.admin.calendar_form import (
    FormProblem,
    blank_form,
    form_errors,
    from_calendar,
    read_form,
    to_body,
)
from calbridge.admin.common import PageNotFound, load_workspace
from calbridge.admin.csrf import CheckedForm
from calbridge.admin.list_queries import CALENDARS
from calbridge.admin.notice import redirect_with
from calbridge.admin.render import field_errors, render
from calbridge.admin.session import CurrentAdmin
from calbridge.calendar import repository, service
from calbridge.calendar.models import Calendar
from calbridge.calendar.schemas import CalendarCreate, CalendarUpdate
from calbridge.deps import SessionDep
from calbridge.errors import CalbridgeError, NotFound
from calbridge.schemas import PathId
from calbridge.workspace.models import Workspace

router = APIRouter()


@router.get("/w/{uuid}/calendars")
async def list_calendars(
    request: Request, uuid: str, admin: CurrentAdmin, db: SessionDep
) -> Response:
    """Searchable by name and time zone; sorted by name, zone, attendee limit or overlap."""
    workspace = await load_workspace(db, uuid)
    listing = CALENDARS.listing(f"/admin/w/{uuid}/calendars", request.query_params)
    paged = await CALENDARS.page(db, listing, Calendar.workspace_id == workspace.id)
    return render(
        request,
        "calendars.html",
        admin,
        workspace=workspace,
        paged=paged,
        listing=listing,
        tab="calendars",
    )


def _form_page(
    request: Request,
    admin: CurrentAdmin,
    workspace: Any,
    values: dict[str, Any],
    accounts: list[calendar_google.LinkableAccount],
    *,
    calendar_id: int | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "calendar_form.html",
        admin,
        status_code=status_code,
        workspace=workspace,
        form=values,
        calendar_id=calendar_id,
        days=DAYS,
        errors=errors or {},
        google_accounts=accounts,
        google_sync_modes=calendar_google.SYNC_MODES,
        tab="calendars",
    )


async def _calendar(db: SessionDep, uuid: str, calendar_id: int) -> tuple[Workspace, Calendar]:
    workspace = await load_workspace(db, uuid)
    calendar = await repository.get_calendar(db, workspace.id, calendar_id)
    if calendar is None:
        raise PageNotFound("Calendar")
    return workspace, calendar


@router.get("/w/{uuid}/calendars/new")
async def new_calendar(
    request: Request, uuid: str, admin: CurrentAdmin, db: SessionDep
) -> Response:
    workspace = await load_workspace(db, uuid)
    values = blank_form(workspace.timezone) | calendar_google.blank()
    accounts = await calendar_google.linkable_accounts(request, workspace.id)
    return _form_page(request, admin, workspace, values, accounts)


@router.get("/w/{uuid}/calendars/{calendar_id}")
async def edit_calendar(
    request: Request, uuid: str, calendar_id: PathId, admin: CurrentAdmin, db: SessionDep
) -> Response:
    workspace, calendar = await _calendar(db, uuid, calendar_id)
    values = from_calendar(calendar) | calendar_google.of_calendar(calendar)
    accounts = await calendar_google.linkable_accounts(
        request, workspace.id, values["google_account_id"]
    )
    return _form_page(request, admin, workspace, values, accounts, calendar_id=calendar.id)


@router.post("/w/{uuid}/calendars")
async def add_calendar(
    request: Request, uuid: str, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    return await _save(request, uuid, None, admin, form, db)


@router.post("/w/{uuid}/calendars/{calendar_id}")
async def update_calendar(
    request: Request,
    uuid: str,
    calendar_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    return await _save(request, uuid, calendar_id, admin, form, db)


async def _save(
    request: Request,
    uuid: str,
    calendar_id: int | None,
    admin: CurrentAdmin,
    form: Any,
    db: SessionDep,
) -> Response:
    workspace = await load_workspace(db, uuid)
    workspace_id = workspace.id
    values = read_form(form) | calendar_google.read(form)
    editor = values["availability"]
    command = form.get("edit")
    if isinstance(command, str) and command:
        editor.edit(command)
        return await _unsaved(request, admin, db, uuid, workspace_id, values, calendar_id, {}, 200)
    _, _, errors = editor.body()  # what only the editor can get wrong (a day on, no hours)
    saved = None
    try:
        body = to_body(values) | calendar_google.body(values)
        data = (CalendarCreate if calendar_id is None else CalendarUpdate).model_validate(body)
        if errors:
            pass  # the schema's errors are shown too, but nothing is saved
        elif isinstance(data, CalendarCreate):
            saved = await service.create_calendar(db, workspace, data)
        else:
            assert calendar_id is not None
            saved = await service.update_calendar(db, workspace, calendar_id, data)
    except NotFound:
        raise PageNotFound("Calendar") from None
    except (FormProblem, ValidationError, CalbridgeError) as error:
        errors |= calendar_google.renamed(form_errors(error, editor))
    if saved is None:
        if any(key.startswith(("weekly-", "exception-")) for key in errors):
            errors.setdefault("_form", "Some availability rows need a fix; each is marked below.")
        return await _unsaved(
            request, admin, db, uuid, workspace_id, values, calendar_id, errors, 422
        )
    verb = "created" if calendar_id is None else "saved"
    message = f"Calendar “{saved.name}” {verb}."
    return redirect_with(request, f"/admin/w/{uuid}/calendars/{saved.id}", message)


async def _unsaved(
    request: Request,
    admin: CurrentAdmin,
    db: SessionDep,
    uuid: str,
    workspace_id: int,
    values: dict[str, Any],
    calendar_id: int | None,
    errors: dict[str, str],
    status_code: int,
) -> Response:
    """The form again, nothing saved. The request's transaction ends first (on SQLite it holds
    the write lock), so Google is asked for the calendar lists with none open."""
    await db.rollback()
    accounts = await calendar_google.linkable_accounts(
        request, workspace_id, values["google_account_id"]
    )
    workspace = await load_workspace(db, uuid)
    return _form_page(
        request,
        admin,
        workspace,
        values,
        accounts,
        calendar_id=calendar_id,
        errors=errors,
        status_code=status_code,
    )


@router.get("/w/{uuid}/calendars/{calendar_id}/delete")
async def confirm_delete_calendar(
    request: Request, uuid: str, calendar_id: PathId, admin: CurrentAdmin, db: SessionDep
) -> Response:
    """The question first, on a page of its own (it works without JavaScript)."""
    workspace, calendar = await _calendar(db, uuid, calendar_id)
    return render(
        request,
        "calendar_delete.html",
        admin,
        workspace=workspace,
        calendar=calendar,
        tab="calendars",
    )


@router.post("/w/{uuid}/calendars/{calendar_id}/delete")
async def delete_calendar(
    request: Request,
    uuid: str,
    calendar_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    """Refused as the API refuses it (409 calendar_not_empty while it has events)."""
    workspace, calendar = await _calendar(db, uuid, calendar_id)
    name = calendar.name
    try:
        await service.delete_calendar(db, workspace, calendar_id)
    except CalbridgeError as error:
        await db.rollback()
        workspace, calendar = await _calendar(db, uuid, calendar_id)
        return render(
            request,
            "calendar_delete.html",
            admin,
            status_code=error.status_code,
            workspace=workspace,
            calendar=calendar,
            errors=field_errors(error),
            tab="calendars",
        )
    return redirect_with(request, f"/admin/w/{uuid}/calendars", f"Calendar “{name}” deleted.")
