from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from calbridge.db import Base, UTCDateTime, utcnow
from calbridge.statuses import JobStatus
from calbridge.types import JSONType


class OutboxJob(Base):
    """Work to do after a commit, written in the same transaction as the change that caused it.

    ``status`` moves pending → running → done, or back to pending with a later ``run_after``
    after a failure, or to failed once ``max_attempts`` are spent. A running job whose
    ``locked_until`` has passed belonged to a worker that died and is claimed again.
    Jobs with the same ``ordering_key`` run one at a time, in id order.
    """

    __tablename__ = "outbox_jobs"
    __table_args__ = (
        Index("ix_outbox_jobs_due", "status", "run_after"),
        Index("ix_outbox_jobs_ordering", "ordering_key", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ordering_key: Mapped[str | None] = mapped_column(String(128))
    # The X-Request-ID of the request (or job) that enqueued it: the worker logs under it.
    request_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
