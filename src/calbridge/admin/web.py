"""Mounts the admin panel at /admin: its pages, its static files, and its two error answers
(sign-in required → redirect; CSRF rejected → 403)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from calbridge.admin import (
    accounts,
    auth,
    calendars,
    events,
    jobs,
    members,
    rules,
    tokens,
    workspaces,
)
from calbridge.admin.common import PageNotFound
from calbridge.admin.csrf import CsrfRejected
from calbridge.admin.headers import AdminSecurityHeaders
from calbridge.admin.render import HERE, render
from calbridge.admin.session import SignInRequired
from calbridge.settings import Settings


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/admin/login", status_code=303)


async def _csrf_rejected(request: Request, exc: Exception) -> Response:
    response: HTMLResponse = render(
        request,
        "error.html",
        None,
        status_code=403,
        title="Form expired",
        message="This form could not be checked (missing or wrong CSRF token). "
        "Nothing was changed. Go back, reload the page and try again.",
    )
    return response


async def _not_found(request: Request, exc: Exception) -> Response:
    what = exc.what if isinstance(exc, PageNotFound) else "Page"
    response: HTMLResponse = render(
        request,
        "error.html",
        None,
        status_code=404,
        title="Not found",
        message=f"{what} not found.",
    )
    return response


def mount_admin(app: FastAPI, settings: Settings) -> None:
    """Adds the panel's routes under /admin to ``app`` (settings are read from app.state)."""
    for module in (auth, workspaces, members, calendars, tokens, accounts, events, rules, jobs):
        app.include_router(module.router, prefix="/admin", include_in_schema=False)
    app.mount("/admin/static", StaticFiles(directory=HERE / "static"), name="admin-static")
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(CsrfRejected, _csrf_rejected)
    app.add_exception_handler(PageNotFound, _not_found)
    app.add_middleware(AdminSecurityHeaders)
