"""An account's Google connection, and the pending OAuth states of connect flows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from calbridge.db import Base, UTCDateTime, utcnow
from calbridge.types import JSONType

ACTIVE = "active"
BROKEN = "broken"


class GoogleConnection(Base):
    """One account's grant to its Google Calendar. Tokens are stored only encrypted
    (``calbridge.crypto``); ``broken`` means Google refused the refresh token (reconnect needed)."""

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


class GoogleCalendarSync(Base):
    """How far a linked calendar's mirror has read its Google calendar, and its push channel.

    One row per linked calendar, made and removed with the link (``calendar.service``), so a
    new link starts from nothing. ``sync_token`` is Google's ``nextSyncToken`` of the last
    successful sync (None: a full sync is due); ``synced_at`` when that sync ended. The
    channel's token is kept only as a hash (notifications are checked against it)."""

    __tablename__ = "google_calendar_syncs"

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(
        ForeignKey("calendars.id", ondelete="CASCADE"), unique=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    google_calendar_id: Mapped[str] = mapped_column(String(1024))
    sync_token: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    channel_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    channel_resource_id: Mapped[str | None] = mapped_column(String(1024))
    channel_token_hash: Mapped[str | None] = mapped_column(String(64))
    channel_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The longest mirrored event (seconds, rounded up): a lower bound for "starts before the
    # end and ends after the start", so the busy query scans only the index range it needs.
    max_span_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GoogleMirrorEvent(Base):
    """A Google event of a linked calendar that calbridge did not create (busy time, unless it
    is cancelled, shown as free or declined by the calendar's owner). Times are UTC."""

    __tablename__ = "google_mirror_events"
    __table_args__ = (
        UniqueConstraint("sync_id", "google_event_id"),
        Index("ix_google_mirror_events_span", "sync_id", "start_at", "end_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sync_id: Mapped[int] = mapped_column(ForeignKey("google_calendar_syncs.id", ondelete="CASCADE"))
    google_event_id: Mapped[str] = mapped_column(String(1024))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    transparency: Mapped[str] = mapped_column(String(16), default="opaque")
    declined: Mapped[bool] = mapped_column(default=False)  # by the calendar's owner
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # Google's ``updated``
