"""An account's Google connection, and the pending OAuth states of connect flows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from calbridge.db import Base, UTCDateTime, utcnow
from calbridge.types import JSONType

ACTIVE = "active"
BROKEN = "broken"


class GoogleConnection(Base):
    """One account's grant to its Google Calendar. Tokens are stored only encrypted
    (``google.crypto``); ``broken`` means Google refused the refresh token (reconnect needed)."""

    __tablename__ = "google_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    google_email: Mapped[str] = mapped_column(String(320))
    scopes: Mapped[list[str]] = mapped_column(JSONType)
    access_token_encrypted: Mapped[str] = mapped_column(Text)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class GoogleOAuthState(Base):
    """A connect flow in progress: the one-time ``state`` (kept as a hash), the PKCE verifier
    (encrypted), the browser binding (a hash) and where to send the admin afterwards."""

    __tablename__ = "google_oauth_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    binding_hash: Mapped[str] = mapped_column(String(64))
    code_verifier_encrypted: Mapped[str] = mapped_column(Text)
    return_to: Mapped[str | None] = mapped_column(String(1024))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
