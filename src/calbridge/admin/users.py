"""Admin users: list, create, delete (never yourself), and a new password for the signed-in
admin — through ``admin.service`` (argon2), as ``calbridge admin create-user`` does."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from calbridge.admin.common import PageNotFound, form_text
from calbridge.admin.csrf import CheckedForm
from calbridge.admin.list_queries import USERS
from calbridge.admin.notice import redirect_with
from calbridge.admin.render import field_errors, render
from calbridge.admin.service import (
    authenticate,
    create_admin_user,
    delete_admin_user,
    set_password,
)
from calbridge.admin.session import CurrentAdmin, start_session, write_session
from calbridge.deps import SessionDep, get_database
from calbridge.errors import CalbridgeError, NotFound
from calbridge.schemas import PathId

router = APIRouter()


async def _list_page(
    request: Request, admin: CurrentAdmin, db: SessionDep, status_code: int = 200, **context: Any
) -> Response:
    listing = USERS.listing("/admin/users", request.query_params)
    return render(
        request,
        "users.html",
        admin,
        status_code=status_code,
        paged=await USERS.page(db, listing),
        listing=listing,
        tab="users",
        **context,
    )


@router.get("/users")
async def list_users(request: Request, admin: CurrentAdmin, db: SessionDep) -> Response:
    """Searchable by email; sorted by email or creation."""
    return await _list_page(request, admin, db)


@router.post("/users")
async def add_user(
    request: Request, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    email = form_text(form.get("email"), 320)
    password = str(form.get("password", ""))[:1000]
    try:
        user = await create_admin_user(db, email=email, password=password)
    except CalbridgeError as error:
        await db.rollback()
        errors = field_errors(error)
        if "_form" in errors:  # admin_user_exists: the email is taken
            errors["email"] = errors.pop("_form")
        return await _list_page(
            request, admin, db, status_code=422, errors=errors, form={"email": email}
        )
    return redirect_with(request, "/admin/users", f"Admin user {user.email} created.")


@router.post("/users/{user_id}/delete")
async def remove_user(
    request: Request, user_id: PathId, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    try:
        email = await delete_admin_user(db, user_id=user_id, acting_user_id=admin.user_id)
    except NotFound:
        raise PageNotFound("Admin user") from None
    except CalbridgeError as error:
        await db.rollback()
        return await _list_page(request, admin, db, status_code=409, errors=field_errors(error))
    return redirect_with(request, "/admin/users", f"Admin user {email} deleted.")


def _password_page(
    request: Request, admin: CurrentAdmin, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    return render(
        request, "password.html", admin, status_code=status, errors=errors or {}, tab="users"
    )


@router.get("/password")
async def password_form(request: Request, admin: CurrentAdmin) -> Response:
    return _password_page(request, admin)


@router.post("/password")
async def change_password(
    request: Request, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    """Needs the current password. Every session of the admin ends (a stolen cookie dies with
    the old password); this browser gets a new one, so the admin stays signed in here."""
    current = str(form.get("current_password", ""))[:1000]
    new = str(form.get("new_password", ""))[:1000]
    async with get_database(request).session(write=False) as read:  # no write lock while hashing
        known = await authenticate(read, email=admin.email, password=current)
    if known is None:
        return _password_page(
            request, admin, {"current_password": "This is not your current password."}, 422
        )
    if new != str(form.get("confirm_password", ""))[:1000]:
        return _password_page(request, admin, {"confirm_password": "The two do not match."}, 422)
    try:
        await set_password(db, email=admin.email, password=new)
    except CalbridgeError as error:
        await db.rollback()
        return _password_page(request, admin, {"new_password": error.detail}, 422)
    session = await start_session(db, admin.user_id)
    response = redirect_with(
        request, "/admin/users", "Password changed; your other sessions were signed out."
    )
    write_session(request, response, session)
    return response
