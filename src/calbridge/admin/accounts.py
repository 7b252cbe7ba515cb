"""Accounts and their Google Calendar section: whether the account uses Google Calendar, its
read and write permissions (CONTRACT §4), the connection status, and Connect / Reconnect /
Disconnect.

Connect (and Reconnect) is a CSRF-checked POST by a signed-in admin. It starts the
authorization-code flow through ``google.browser.connect_redirect``: PKCE, a one-time ``state``
stored hashed, and a random binding kept in a signed HttpOnly cookie scoped to
``/google/oauth``. Google sends the browser back to ``GET /google/oauth/callback`` (the
``google_redirect_uri`` setting's default), which finishes only with that cookie and then
returns here with ``?google=connected``. The admin session cookie (path ``/admin``) is not
needed there, so it stays scoped to the panel.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account import service
from calbridge.account.models import Account
from calbridge.admin.common import PageNotFound, form_text, load_workspace
from calbridge.admin.csrf import CheckedForm
from calbridge.admin.list_queries import ACCOUNTS
from calbridge.admin.notice import redirect_with
from calbridge.admin.render import redirect, render
from calbridge.admin.session import CurrentAdmin
from calbridge.deps import SessionDep
from calbridge.errors import CalbridgeError, NotFound
from calbridge.google import browser
from calbridge.google import service as google
from calbridge.outside import call_outside
from calbridge.schemas import PathId
from calbridge.services import services_of
from calbridge.workspace.models import Workspace

router = APIRouter()


def _name_error(name: str) -> dict[str, str]:
    if not name:
        return {"name": "A name is required."}
    if len(name) > 255:
        return {"name": "At most 255 characters."}
    return {}


async def _account(db: SessionDep, uuid: str, account_id: int) -> tuple[Workspace, Account]:
    workspace = await load_workspace(db, uuid)
    try:
        return workspace, await service.get_account(db, workspace, account_id)
    except NotFound:
        raise PageNotFound("Account") from None


def _account_url(uuid: str, account_id: int) -> str:
    return f"/admin/w/{uuid}/accounts/{account_id}"


async def _account_page(
    request: Request,
    admin: CurrentAdmin,
    db: SessionDep,
    workspace: Workspace,
    account: Account,
    *,
    form: dict[str, str] | None = None,
    status_code: int = 200,
    **context: object,
) -> Response:
    """The account's page; its form shows the stored name unless ``form`` says otherwise."""
    return render(
        request,
        "account.html",
        admin,
        status_code=status_code,
        workspace=workspace,
        account=account,
        connection=await google.connection_status(db, account),
        form={"name": account.name} if form is None else form,
        tab="accounts",
        **context,
    )


async def _list_page(
    request: Request,
    admin: CurrentAdmin,
    db: SessionDep,
    uuid: str,
    status_code: int = 200,
    **context: object,
) -> Response:
    workspace = await load_workspace(db, uuid)
    listing = ACCOUNTS.listing(f"/admin/w/{uuid}/accounts", request.query_params)
    paged = await ACCOUNTS.page(db, listing, Account.workspace_id == workspace.id)
    return render(
        request,
        "accounts.html",
        admin,
        status_code=status_code,
        workspace=workspace,
        paged=paged,
        connections={a.id: await google.connection_status(db, a) for a in paged.items},
        listing=listing,
        tab="accounts",
        **context,
    )


@router.get("/w/{uuid}/accounts")
async def list_accounts(
    request: Request, uuid: str, admin: CurrentAdmin, db: SessionDep
) -> Response:
    """Searchable by name; sorted by id, name or Google flags."""
    return await _list_page(request, admin, db, uuid)


@router.post("/w/{uuid}/accounts")
async def add_account(
    request: Request, uuid: str, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    workspace = await load_workspace(db, uuid)
    name = form_text(form.get("name"), 300)
    errors = _name_error(name)
    if errors:
        return await _list_page(
            request, admin, db, uuid, status_code=422, errors=errors, form={"name": name}
        )
    account = await service.create_account(db, workspace, name=name)
    return redirect_with(request, _account_url(uuid, account.id), f"Account “{name}” created.")


@router.get("/w/{uuid}/accounts/{account_id}")
async def show_account(
    request: Request, uuid: str, account_id: PathId, admin: CurrentAdmin, db: SessionDep
) -> Response:
    workspace, account = await _account(db, uuid, account_id)
    return await _account_page(request, admin, db, workspace, account)


@router.post("/w/{uuid}/accounts/{account_id}")
async def update_account(
    request: Request,
    uuid: str,
    account_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    workspace, account = await _account(db, uuid, account_id)
    name = form_text(form.get("name"), 300)
    errors = _name_error(name)
    if errors:
        return await _account_page(
            request,
            admin,
            db,
            workspace,
            account,
            form={"name": name},
            status_code=422,
            errors=errors,
        )
    await service.rename_account(db, account, name)
    await service.set_google_flags(
        db,
        account,
        used=form.get("google_calendar_used") == "on",
        read=form.get("google_read_enabled") == "on",
        write=form.get("google_write_enabled") == "on",
    )
    return redirect_with(request, _account_url(uuid, account.id), f"Account “{name}” saved.")


@router.post("/w/{uuid}/accounts/{account_id}/google/connect")
async def connect_google(
    request: Request,
    uuid: str,
    account_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    """Connect or Reconnect: off to Google's consent page, back through the callback."""
    workspace, account = await _account(db, uuid, account_id)
    if not account.google_calendar_used:
        refusal = "Turn on Google Calendar for this account (and save) first."
        return await _account_page(
            request, admin, db, workspace, account, status_code=409, errors={"_form": refusal}
        )
    return await browser.connect_redirect(
        request, db, account, return_to=_account_url(uuid, account.id)
    )


@router.post("/w/{uuid}/accounts/{account_id}/google/disconnect")
async def disconnect_google(
    request: Request,
    uuid: str,
    account_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    """Forget the connection, then revoke the grant at Google.

    The deletion is committed before Google is called, so no transaction (on SQLite: the
    database's write lock) waits on Google. The revoke runs in the request rather than as a
    background task after the response, so the page can say whether Google confirmed it (if
    not, the admin is told to remove the access in the Google account)."""
    _, account = await _account(db, uuid, account_id)
    gateway = services_of(request).google

    async def forget(write: AsyncSession) -> google.Revocation | None:
        return await google.forget(write, account, gateway=gateway)

    async def told(_session: AsyncSession, _revocation: object, revoked: bool) -> str:
        return "disconnected" if revoked else "disconnected-unrevoked"

    # The deletion is the request's only write; nothing after the revoke touches the database.
    outcome = await call_outside(db, forget, partial(google.revoke, gateway), told)
    return redirect(f"{_account_url(uuid, account.id)}?google={outcome}")


@router.post("/w/{uuid}/accounts/{account_id}/delete")
async def delete_account(
    request: Request,
    uuid: str,
    account_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    """Delete the account: its Google connection is forgotten in the same transaction, and the
    grant revoked at Google after the commit, as Disconnect does. Refused (409
    account_in_use, nothing changed) while a calendar is linked through it."""
    workspace, account = await _account(db, uuid, account_id)
    name, gateway = account.name, services_of(request).google

    async def forget_and_delete(write: AsyncSession) -> google.Revocation | None:
        revocation = await google.forget(write, account, gateway=gateway)
        await service.delete_account(write, account)
        return revocation

    async def told(_session: AsyncSession, _revocation: object, revoked: bool) -> str:
        if revoked:
            return f"Account “{name}” deleted."
        return f"Account “{name}” deleted; Google could not be reached to revoke its access."

    try:
        message = await call_outside(db, forget_and_delete, partial(google.revoke, gateway), told)
    except CalbridgeError as error:
        await db.rollback()
        workspace, account = await _account(db, uuid, account_id)
        errors = {"_delete": error.detail}
        return await _account_page(
            request, admin, db, workspace, account, status_code=error.status_code, errors=errors
        )
    return redirect_with(request, f"/admin/w/{uuid}/accounts", message)
