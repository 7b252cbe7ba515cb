"""Accounts and their Google Calendar section: whether the account uses Google Calendar, its
read and write permissions (CONTRACT §4), and the connection status."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from calbridge.account import service
from calbridge.account.models import Account
from calbridge.admin.common import PageNotFound, form_text, load_workspace
from calbridge.admin.csrf import CheckedForm
from calbridge.admin.render import Pager, page_number, redirect, render
from calbridge.admin.session import CurrentAdmin
from calbridge.deps import SessionDep
from calbridge.errors import NotFound
from calbridge.workspace.models import Workspace

router = APIRouter()
# The Google issue adds connections; until then no account has one.
NOT_CONNECTED = "Not connected"


def _name_error(name: str) -> dict[str, str]:
    if not name:
        return {"name": "A name is required."}
    if len(name) > 255:
        return {"name": "At most 255 characters."}
    return {}


async def _get(db: SessionDep, workspace: Workspace, account_id: int) -> Account:
    try:
        return await service.get_account(db, workspace, account_id)
    except NotFound:
        raise PageNotFound("Account") from None


async def _list_page(
    request: Request,
    admin: CurrentAdmin,
    db: SessionDep,
    uuid: str,
    page: int,
    status_code: int = 200,
    **context: object,
) -> Response:
    workspace = await load_workspace(db, uuid)
    accounts = await service.list_accounts(db, workspace)
    pager = Pager(page, len(accounts))
    return render(
        request,
        "accounts.html",
        admin,
        status_code=status_code,
        workspace=workspace,
        accounts=accounts[pager.offset : pager.offset + pager.size],
        pager=pager,
        tab="accounts",
        **context,
    )


@router.get("/w/{uuid}/accounts")
async def list_accounts(
    request: Request, uuid: str, admin: CurrentAdmin, db: SessionDep, page: str | None = None
) -> Response:
    return await _list_page(request, admin, db, uuid, page_number(page))


@router.post("/w/{uuid}/accounts")
async def add_account(
    request: Request, uuid: str, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    workspace = await load_workspace(db, uuid)
    name = form_text(form.get("name"), 300)
    errors = _name_error(name)
    if errors:
        return await _list_page(
            request, admin, db, uuid, 1, status_code=422, errors=errors, form={"name": name}
        )
    account = await service.create_account(db, workspace, name=name)
    return redirect(f"/admin/w/{uuid}/accounts/{account.id}")


@router.get("/w/{uuid}/accounts/{account_id}")
async def show_account(
    request: Request, uuid: str, account_id: int, admin: CurrentAdmin, db: SessionDep
) -> Response:
    workspace = await load_workspace(db, uuid)
    account = await _get(db, workspace, account_id)
    return render(
        request,
        "account.html",
        admin,
        workspace=workspace,
        account=account,
        connection=NOT_CONNECTED,
        form={"name": account.name},
        tab="accounts",
    )


@router.post("/w/{uuid}/accounts/{account_id}")
async def update_account(
    request: Request,
    uuid: str,
    account_id: int,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    workspace = await load_workspace(db, uuid)
    account = await _get(db, workspace, account_id)
    name = form_text(form.get("name"), 300)
    errors = _name_error(name)
    if errors:
        return render(
            request,
            "account.html",
            admin,
            status_code=422,
            workspace=workspace,
            account=account,
            connection=NOT_CONNECTED,
            form={"name": name},
            errors=errors,
            tab="accounts",
        )
    # The account service has no rename; the name is plain data with no rule beyond length.
    account.name = name
    await service.set_google_flags(
        db,
        account,
        used=form.get("google_calendar_used") == "on",
        read=form.get("google_read_enabled") == "on",
        write=form.get("google_write_enabled") == "on",
    )
    return redirect(f"/admin/w/{uuid}/accounts/{account.id}?saved=1")
