"""API tokens: create (the secret is shown once, on the page the create form redirects to, and
never again: admin/flash.py), revoke, and when each was last used."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from calbridge.admin import flash
from calbridge.admin.common import PageNotFound, form_text, load_workspace
from calbridge.admin.csrf import CheckedForm
from calbridge.admin.list_queries import TOKENS
from calbridge.admin.render import field_errors, redirect, render
from calbridge.admin.session import CurrentAdmin
from calbridge.auth.models import ApiToken
from calbridge.auth.scopes import ALL_SCOPES
from calbridge.auth.service import create_token, list_tokens, revoke_token
from calbridge.deps import SessionDep
from calbridge.errors import CalbridgeError
from calbridge.schemas import PathId

router = APIRouter()


async def _page(
    request: Request,
    admin: CurrentAdmin,
    db: SessionDep,
    uuid: str,
    status_code: int = 200,
    **context: object,
) -> Response:
    workspace = await load_workspace(db, uuid)
    listing = TOKENS.listing(f"/admin/w/{uuid}/tokens", request.query_params)
    response = render(
        request,
        "tokens.html",
        admin,
        status_code=status_code,
        workspace=workspace,
        paged=await TOKENS.page(db, listing, ApiToken.workspace_id == workspace.id),
        listing=listing,
        scopes=ALL_SCOPES,
        tab="tokens",
        **context,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _flash_page(uuid: str) -> str:
    return f"tokens:{uuid}"


@router.get("/w/{uuid}/tokens")
async def list_api_tokens(
    request: Request,
    uuid: str,
    admin: CurrentAdmin,
    db: SessionDep,
    created: str | None = None,
) -> Response:
    """Newest first; searchable by name and prefix."""
    issued = None if created is None else await flash.take(request, admin, _flash_page(uuid))
    return await _page(request, admin, db, uuid, issued=issued)


@router.post("/w/{uuid}/tokens")
async def add_token(
    request: Request, uuid: str, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    workspace = await load_workspace(db, uuid)
    name = form_text(form.get("name"), 255) or "api"
    scopes = [value for value in form.getlist("scopes") if isinstance(value, str)]
    try:
        issued = await create_token(db, workspace, scopes=scopes, name=name)
    except CalbridgeError as error:
        await db.rollback()
        return await _page(
            request,
            admin,
            db,
            uuid,
            status_code=422,
            errors=field_errors(error),
            form={"name": name, "scopes": scopes},
        )
    await flash.stash(
        request, db, admin, _flash_page(uuid), name=issued.token.name, secret=issued.secret
    )
    return redirect(f"/admin/w/{uuid}/tokens?created=1")


@router.post("/w/{uuid}/tokens/{token_id}/revoke")
async def revoke_api_token(
    request: Request,
    uuid: str,
    token_id: PathId,
    admin: CurrentAdmin,
    form: CheckedForm,
    db: SessionDep,
) -> Response:
    workspace = await load_workspace(db, uuid)
    token = next((t for t in await list_tokens(db, workspace.id) if t.id == token_id), None)
    if token is None:
        raise PageNotFound("Token")
    await revoke_token(db, token)
    return redirect(f"/admin/w/{uuid}/tokens")
