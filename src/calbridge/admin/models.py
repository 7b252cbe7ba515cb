from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from calbridge.db import Base, UTCDateTime, utcnow


class AdminUser(Base):
    """A sign-in for the admin panel; the password is kept as an argon2 hash."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AdminSession(Base):
    """A signed-in panel session. The cookie carries a random token, of which only the hash is
    kept: deleting the row (sign-out, a password change, the user's deletion) ends every copy of
    the cookie at once."""

    __tablename__ = "admin_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("admin_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # A show-once value waiting for the page a POST redirected to (admin/flash.py), encrypted.
    flash_encrypted: Mapped[str | None] = mapped_column(Text)
