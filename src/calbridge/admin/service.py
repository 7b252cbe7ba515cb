"""Admin-panel users: argon2 password hashes."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.admin.models import AdminUser
from calbridge.admin.session import end_every_session
from calbridge.errors import Conflict, NotFound, ValidationProblem

_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs the same time as a wrong
# password and reveals nothing.
_DUMMY_HASH = _hasher.hash("calbridge-no-such-user")
MIN_PASSWORD_LENGTH = 8


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationProblem(
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )


async def create_admin_user(session: AsyncSession, *, email: str, password: str) -> AdminUser:
    email = email.strip().lower()
    if "@" not in email:
        raise ValidationProblem("A valid email is required.", field="email")
    _check_password(password)
    if await session.scalar(select(AdminUser.id).where(AdminUser.email == email)) is not None:
        raise Conflict("An admin user with this email exists.", code="admin_user_exists")
    user = AdminUser(email=email, password_hash=_hasher.hash(password))
    session.add(user)
    await session.flush()
    return user


async def set_password(session: AsyncSession, *, email: str, password: str) -> AdminUser:
    """A new password, and every session of the user ended (a stolen cookie dies with the old
    password)."""
    _check_password(password)
    user = await session.scalar(select(AdminUser).where(AdminUser.email == email.strip().lower()))
    if user is None:
        raise NotFound("Admin user")
    user.password_hash = _hasher.hash(password)
    await end_every_session(session, user.id)
    await session.flush()
    return user


async def delete_admin_user(session: AsyncSession, *, user_id: int, acting_user_id: int) -> str:
    """Deletes the user (their sessions go with them) and returns their email. Nobody deletes
    themselves, so the panel always keeps the admin who is using it."""
    if user_id == acting_user_id:
        raise Conflict("You cannot delete your own admin user.", code="admin_user_is_you")
    user = await session.get(AdminUser, user_id)
    if user is None:
        raise NotFound("Admin user")
    email = user.email
    await end_every_session(session, user.id)
    await session.delete(user)
    await session.flush()
    return email


async def authenticate(session: AsyncSession, *, email: str, password: str) -> AdminUser | None:
    user = await session.scalar(select(AdminUser).where(AdminUser.email == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return user
