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
    new_session,
    read_session,
    write_session,
)
from calbridge.deps import SessionDep

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
    if session is not None and session.user_id is not None:
        return redirect("/admin/workspaces")
    return _sign_in_page(request, session or new_session())


@router.post("/login")
async def sign_in(request: Request, form: CheckedForm, db: SessionDep) -> Response:
    email = str(form.get("email", "")).strip().lower()[:320]
    password = str(form.get("password", ""))
    session = read_session(request) or new_session()
    client = _client(request)
    if await throttle.is_throttled(db, email=email, client=client):
        return _sign_in_page(
            request,
            session,
            email=email,
            error="Too many failed sign-ins. Wait a few minutes and try again.",
            status=429,
        )
    user = await authenticate(db, email=email, password=password)
    if user is None:
        await throttle.record_failure(db, email=email, client=client)
        return _sign_in_page(request, session, email=email, error=SIGN_IN_FAILED, status=400)
    await throttle.clear_failures(db, email=email)
    response = redirect("/admin/workspaces")
    # A fresh CSRF token at sign-in, so a token seen before cannot be replayed after it.
    write_session(request, response, new_session(user.id))
    return response


@router.post("/logout")
async def sign_out(request: Request, admin: CurrentAdmin, form: CheckedForm) -> Response:
    response = redirect("/admin/login")
    write_session(request, response, new_session())
    return response


@router.get("")
async def home(admin: CurrentAdmin) -> Response:
    return redirect("/admin/workspaces")
