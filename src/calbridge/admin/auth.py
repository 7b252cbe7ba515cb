"""Sign-in and sign-out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from calbridge.admin import throttle
from calbridge.admin.csrf import CheckedForm
from calbridge.admin.render import redirect, render
from calbridge.admin.service import authenticate
from calbridge.admin.session import (
    CurrentAdmin,
    PanelSession,
    end_session,
    new_session,
    read_session,
    start_session,
    write_session,
)
from calbridge.deps import SessionDep, get_database

router = APIRouter()
SIGN_IN_FAILED = "Wrong email or password."


def _client(request: Request) -> str:
    return (request.client.host if request.client else "unknown")[:64]


def _sign_in_page(
    request: Request, session: PanelSession, *, email: str = "", error: str = "", status: int = 200
) -> Response:
    response = render(
        request,
        "login.html",
        None,
        status_code=status,
        csrf_token=session.csrf,
        email=email,
        error=error,
    )
    write_session(request, response, session)
    return response


@router.get("/login")
async def sign_in_form(request: Request) -> Response:
    session = read_session(request)
    if session is not None and session.signed_in:
        return redirect("/admin/workspaces")
    return _sign_in_page(request, session or new_session())


@router.post("/login")
async def sign_in(request: Request, form: CheckedForm) -> Response:
    """Short transactions of its own, none open while the password is checked: the throttle's
    reservation (committed first, so concurrent guesses count), the check (a read), the new
    session."""
    email = str(form.get("email", "")).strip().lower()[:320]
    password = str(form.get("password", ""))
    session = read_session(request) or new_session()
    client = _client(request)
    database = get_database(request)
    refused = await throttle.reserve(database, email=email, client=client)
    if refused is not None:
        response = _sign_in_page(
            request,
            session,
            email=email,
            error=f"Too many failed sign-ins. Try again in {refused.retry_after} seconds.",
            status=429,
        )
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    async with database.session(write=False) as read:
        user = await authenticate(read, email=email, password=password)
        user_id = None if user is None else user.id
    if user_id is None:
        return _sign_in_page(request, session, email=email, error=SIGN_IN_FAILED, status=400)
    async with database.transaction() as write:
        await throttle.clear(write, email=email, client=client)
        signed_in = await start_session(write, user_id)
    response = redirect("/admin/workspaces")
    write_session(request, response, signed_in)
    return response


@router.post("/logout")
async def sign_out(
    request: Request, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    await end_session(db, admin.session)
    response = redirect("/admin/login")
    write_session(request, response, new_session())
    return response


@router.get("")
async def home(admin: CurrentAdmin) -> Response:
    return redirect("/admin/workspaces")
