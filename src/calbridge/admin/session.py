"""The admin panel's sign-in session: a signed cookie, no server-side state.

The cookie holds the admin user's id and a CSRF token, signed with ``settings.secret_key``
(itsdangerous, timestamped). It is HttpOnly, SameSite=Lax, Secure when the request came over
HTTPS, scoped to ``/admin``, and expires ``SESSION_MAX_AGE`` after sign-in (absolute, not
sliding). Before sign-in the cookie carries only a CSRF token, so the sign-in form is protected
too. Signing out replaces the cookie with an anonymous one; because nothing is kept on the
server, a copied cookie stays valid until it expires — the price of running without a session
table, bounded by the expiry.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from calbridge.admin.models import AdminUser
from calbridge.deps import SessionDep
from calbridge.settings import Settings

COOKIE_NAME = "calbridge_admin"
COOKIE_PATH = "/admin"
SESSION_MAX_AGE = 8 * 3600


class SignInRequired(Exception):
    """Raised by pages that need a signed-in admin; answered with a redirect to sign-in."""


@dataclass(frozen=True)
class PanelSession:
    csrf: str
    user_id: int | None = None


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="calbridge-admin-session")


def read_session(request: Request) -> PanelSession | None:
    """The session in the request's cookie, if it is present, untampered and not expired."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    settings: Settings = request.app.state.settings
    try:
        data = _serializer(settings).loads(raw, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return None
    user_id = data.get("uid")
    return PanelSession(csrf=data["csrf"], user_id=user_id if isinstance(user_id, int) else None)


def new_session(user_id: int | None = None) -> PanelSession:
    return PanelSession(csrf=secrets.token_urlsafe(32), user_id=user_id)


def write_session(request: Request, response: Response, session: PanelSession) -> None:
    settings: Settings = request.app.state.settings
    value = _serializer(settings).dumps({"csrf": session.csrf, "uid": session.user_id})
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=SESSION_MAX_AGE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


@dataclass(frozen=True)
class Admin:
    """The signed-in admin of this request (plain values: pages roll back refused changes,
    which expires every ORM object of the session)."""

    user_id: int
    email: str
    session: PanelSession

    @property
    def csrf(self) -> str:
        return self.session.csrf


async def current_admin(request: Request, db: SessionDep) -> Admin:
    session = read_session(request)
    if session is None or session.user_id is None:
        raise SignInRequired()
    user = await db.get(AdminUser, session.user_id)
    if user is None:
        raise SignInRequired()
    return Admin(user_id=user.id, email=user.email, session=session)


CurrentAdmin = Annotated[Admin, Depends(current_admin)]
