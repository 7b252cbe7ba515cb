"""The admin panel's sign-in session: a signed cookie naming a session kept on the server.

The cookie holds a CSRF token and, once signed in, a random session token, signed with
``settings.secret_key`` (itsdangerous, timestamped). The session itself is a row
(``AdminSession``, only the token's hash), so signing out or changing the password ends every
copy of the cookie, not just the browser's. It is HttpOnly, SameSite=Lax, Secure when the
request came over HTTPS, scoped to ``/admin``, and expires ``SESSION_MAX_AGE`` after sign-in
(absolute, not sliding). Before sign-in the cookie carries only a CSRF token, so the sign-in form
is protected too.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.admin.models import AdminSession, AdminUser
from calbridge.db import utcnow
from calbridge.deps import get_database
from calbridge.settings import Settings

COOKIE_NAME = "calbridge_admin"
COOKIE_PATH = "/admin"
SESSION_MAX_AGE = 8 * 3600


class SignInRequired(Exception):
    """Raised by pages that need a signed-in admin; answered with a redirect to sign-in."""


@dataclass(frozen=True)
class PanelSession:
    csrf: str
    token: str | None = None  # the server-side session's; None before sign-in

    @property
    def signed_in(self) -> bool:
        return self.token is not None


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="calbridge-admin-session")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_key(session: PanelSession) -> str:
    """How a signed-in session's row is found (the hash of its token)."""
    assert session.token is not None
    return _hash(session.token)


def read_session(request: Request) -> PanelSession | None:
    """The session in the request's cookie, if it is present, untampered and not expired (it
    may still have been ended on the server: ``current_admin`` looks)."""
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
    token = data.get("sid")
    return PanelSession(csrf=data["csrf"], token=token if isinstance(token, str) else None)


def new_session() -> PanelSession:
    return PanelSession(csrf=secrets.token_urlsafe(32))


async def start_session(db: AsyncSession, user_id: int) -> PanelSession:
    """A new server-side session for the user, with a fresh CSRF token (so a token seen before
    sign-in cannot be replayed after it)."""
    await db.execute(delete(AdminSession).where(AdminSession.expires_at <= utcnow()))
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(seconds=SESSION_MAX_AGE)
    db.add(AdminSession(token_hash=_hash(token), user_id=user_id, expires_at=expires_at))
    await db.flush()
    return PanelSession(csrf=secrets.token_urlsafe(32), token=token)


async def end_session(db: AsyncSession, session: PanelSession) -> None:
    if session.token is not None:
        await db.execute(
            delete(AdminSession).where(AdminSession.token_hash == _hash(session.token))
        )


async def end_every_session(db: AsyncSession, user_id: int) -> None:
    await db.execute(delete(AdminSession).where(AdminSession.user_id == user_id))


def write_session(request: Request, response: Response, session: PanelSession) -> None:
    settings: Settings = request.app.state.settings
    value = _serializer(settings).dumps({"csrf": session.csrf, "sid": session.token})
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


async def current_admin(request: Request) -> Admin:
    """The signed-in admin, looked up in a short read session of its own: the request's session
    must not begin before the page has read its form (on SQLite a write session holds the write
    lock from its first query, and a slow upload would hold it for everyone)."""
    session = read_session(request)
    if session is None or session.token is None:
        raise SignInRequired()
    async with get_database(request).session(write=False) as lookup:
        found = (
            await lookup.execute(
                select(AdminUser.id, AdminUser.email)
                .join(AdminSession, AdminSession.user_id == AdminUser.id)
                .where(
                    AdminSession.token_hash == _hash(session.token),
                    AdminSession.expires_at > utcnow(),
                )
            )
        ).first()
    if found is None:
        raise SignInRequired()
    return Admin(user_id=found.id, email=found.email, session=session)


CurrentAdmin = Annotated[Admin, Depends(current_admin)]
