from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from calbridge.db import Base, UTCDateTime, utcnow
from calbridge.statuses import EventStatus, ResponseStatus, SyncStatus
from calbridge.types import JSONType

if TYPE_CHECKING:
    from calbridge.calendar.models import Calendar


class Event(Base):
    """A booking. Times are UTC instants; the calendar's time zone is applied at the edges."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_calendar_start", "calendar_id", "start_at", "id"),
        Index("ix_events_workspace_start", "workspace_id", "start_at", "id"),
        Index("ix_events_calendar_duration", "calendar_id", "duration_seconds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendars.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(1024))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # end_at - start_at, rounded up. The longest event of a calendar (an index lookup) bounds
    # "overlaps [S, E)" from below, so range queries can use the start_at index.
    duration_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.CONFIRMED)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    # A copy of "not calendar.allow_overlap", so PostgreSQL's exclusion constraint can see it.
    exclusive: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)
    google_event_id: Mapped[str | None] = mapped_column(String(1024))
    # Random and fixed when the event is made: its Google copy's id and its ETags derive from
    # it, so a new event can never meet a deleted one's copy or ETag. NULL on events made
    # before it existed (their copies keep the id derived from the workspace and event ids).
    uid: Mapped[str | None] = mapped_column(String(32), default=lambda: uuid.uuid4().hex)
    google_sync_status: Mapped[str] = mapped_column(String(16), default=SyncStatus.NOT_LINKED)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Loaded only where asked for (joinedload, or repository.load_attendees), never by surprise.
    calendar: Mapped[Calendar] = relationship(lazy="raise", viewonly=True)
    attendees: Mapped[list[Attendee]] = relationship(
        lazy="raise",
        order_by="Attendee.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Attendee(Base):
    __tablename__ = "attendees"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    response_status: Mapped[str] = mapped_column(String(16), default=ResponseStatus.NEEDS_ACTION)
    comment: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EventChange(Base):
    """One change of an event (CONTRACT §3.5 history), written in the change's transaction and
    deleted with the event."""

    __tablename__ = "event_history"
    __table_args__ = (Index("ix_event_history_event", "event_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(320))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
