"""The one-line message a page shows after a change ("Event “Intro” cancelled.").

A POST that changed something redirects with the message in a short-lived cookie signed with
``settings.secret_key`` (so no link can make the panel say something it did not); the page the
redirect lands on shows it once and clears the cookie. Nothing is stored on the server, and a
message is never read from the URL."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from calbridge.admin.session import COOKIE_PATH
from calbridge.settings import Settings

COOKIE_NAME = "calbridge_notice"
MAX_AGE = 60


def _serializer(request: Request) -> URLSafeTimedSerializer:
    settings: Settings = request.app.state.settings
    return URLSafeTimedSerializer(settings.secret_key, salt="calbridge-admin-notice")


def redirect_with(request: Request, url: str, message: str) -> RedirectResponse:
    """A 303 to ``url`` that shows ``message`` there."""
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        _serializer(request).dumps(message[:500]),
        max_age=MAX_AGE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def take(request: Request) -> str | None:
    """The message waiting for this page, if any (``clear`` removes it once shown)."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    try:
        message = _serializer(request).loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return None
    return message if isinstance(message, str) else None


def clear(request: Request, response: Response) -> None:
    if COOKIE_NAME in request.cookies:
        response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH)
