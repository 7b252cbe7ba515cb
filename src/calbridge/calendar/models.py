from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from calbridge.db import Base, UTCDateTime, utcnow
from calbridge.types import JSONType


class Calendar(Base):
    __tablename__ = "calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    max_attendees: Mapped[int | None]
    allow_overlap: Mapped[bool] = mapped_column(default=False)
    # The contract's availability JSON (validated on the way in); NULL means always available.
    availability: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    google_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    google_calendar_id: Mapped[str | None] = mapped_column(String(1024))
    google_conflict_check: Mapped[bool] = mapped_column(default=False)
    # push: Google-side edits of our copies are undone; two_way: applied through the booking
    # rules (google_sync.restore).
    google_sync_mode: Mapped[str] = mapped_column(String(16), default="push")
    # Booking policies (CONTRACT §3.1); 0 / NULL mean no restriction.
    min_notice_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    max_advance_days: Mapped[int | None]
    buffer_before_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    buffer_after_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    cancellation_notice_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
