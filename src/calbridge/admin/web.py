"""Mounts the admin panel at /admin: its pages, its static files, and its two error answers
(sign-in required → redirect; CSRF rejected → 403)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from calbridge.admin import (
    accounts,
    auth,
    calendar_view,
    calendars,
    event_edit,
    events,
    jobs,
    members,
    rules,
    tokens,
    users,
    workspaces,
)
from calbridge.admin.common import PageNotFound
from calbridge.admin.csrf import CsrfRejected
from calbridge.admin.headers import AdminSecurityHeaders
from calbridge.admin.render import HERE, render
from calbridge.admin.session import SignInRequired, current_admin
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
    """The panel's 404, with its navigation when an admin is signed in."""
    what = exc.what if isinstance(exc, PageNotFound) else "Page"
    try:
        admin = await current_admin(request)
    except SignInRequired:
        admin = None
    response: HTMLResponse = render(
        request,
        "error.html",
        admin,
        status_code=404,
        title="Not found",
        message=f"{what} not found.",
    )
    return response


def _panel_404(app: FastAPI) -> None:
    """Under /admin, a path no page has (``/admin/nowhere``) or an id in the path that is no
    number (``/admin/w/…/events/abc``) answers the panel's 404 page; everywhere else the app's
    own answers stay (problem JSON for the API)."""
    for kind in (StarletteHTTPException, RequestValidationError):
        app.add_exception_handler(kind, _panel_first(app.exception_handlers[kind]))


Handler = Callable[[Request, Exception], Response | Awaitable[Response]]


def _panel_first(others: Handler) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/admin") and _missing(exc):
            return await _not_found(request, exc)
        answer = others(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    return handler


def _missing(exc: Exception) -> bool:
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code == 404
    if isinstance(exc, RequestValidationError):
        return any(error.get("loc", ("",))[0] == "path" for error in exc.errors())
    return False


def mount_admin(app: FastAPI, settings: Settings) -> None:
    """Adds the panel's routes under /admin to ``app`` (settings are read from app.state)."""
    for module in (
        auth,
        workspaces,
        members,
        calendars,
        calendar_view,
        tokens,
        accounts,
        events,
        event_edit,
        rules,
        jobs,
        users,
    ):
        app.include_router(module.router, prefix="/admin", include_in_schema=False)
    app.mount("/admin/static", StaticFiles(directory=HERE / "static"), name="admin-static")
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(CsrfRejected, _csrf_rejected)
    app.add_exception_handler(PageNotFound, _not_found)
    _panel_404(app)
    app.add_middleware(AdminSecurityHeaders)
