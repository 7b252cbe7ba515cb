"""Binding a connect flow to the browser that started it.

The admin panel's "Connect Google Account" action (admin sign-in and CSRF checked there) calls
:func:`connect_redirect`: it makes a random binding, starts the flow with it, and answers a
redirect to Google that also sets the binding in a signed, HttpOnly, SameSite=Lax cookie scoped
to ``/google/oauth`` (the admin session cookie is scoped to ``/admin`` and never reaches the
callback). The callback (``GET /google/oauth/callback``) reads the cookie back and hands it to
``finish_connect``, so a ``state`` copied into another browser cannot finish the flow.
"""

from __future__ import annotations

import secrets

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account.models import Account
from calbridge.google.gateway import gateway_of
from calbridge.google.oauth import start_connect
from calbridge.settings import Settings

COOKIE_NAME = "calbridge_google_oauth"
COOKIE_PATH = "/google/oauth"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="calbridge-google-oauth-binding")


def sign_binding(settings: Settings, binding: str) -> str:
    return _serializer(settings).dumps(binding)


def read_binding(request: Request) -> str:
    """The binding in the request's cookie, or "" if it is missing, forged or too old."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return ""
    settings: Settings = request.app.state.settings
    try:
        value = _serializer(settings).loads(raw, max_age=settings.google_oauth_state_ttl_seconds)
    except BadSignature:
        return ""
    return value if isinstance(value, str) else ""


def set_binding_cookie(request: Request, response: Response, binding: str) -> None:
    settings: Settings = request.app.state.settings
    response.set_cookie(
        COOKIE_NAME,
        sign_binding(settings, binding),
        max_age=settings.google_oauth_state_ttl_seconds,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",  # sent on the top-level redirect back from Google
        secure=request.url.scheme == "https",
    )


def clear_binding_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH)


async def connect_redirect(
    request: Request, session: AsyncSession, account: Account, *, return_to: str
) -> RedirectResponse:
    """For the admin panel's Connect/Reconnect button: start the flow for ``account`` and send
    the browser to Google; the callback later sends it to ``return_to`` (a path on this site)
    with ``?google=connected``."""
    binding = secrets.token_urlsafe(32)
    url = await start_connect(
        session,
        account,
        binding=binding,
        return_to=return_to,
        gateway=gateway_of(request.app.state),
    )
    response = RedirectResponse(url, status_code=303)
    set_binding_cookie(request, response, binding)
    return response
