"""Event rules, their runs, each action's outcome in a run, and every webhook attempt.

    EventRule ─< RuleRun (one per rule and event change) ─< RuleRunAction (one per action)
                                                             ─< WebhookDelivery (one per attempt)

A rule's ``conditions`` and ``actions`` are stored as the JSON of their wire schemas
(``schemas.py``), so the pure evaluator reads exactly what the API accepted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from calbridge.db import Base, UTCDateTime, utcnow
from calbridge.statuses import ActionStatus
from calbridge.types import JSONType


class EventRule(Base):
    __tablename__ = "event_rules"
    __table_args__ = (Index("ix_event_rules_workspace", "workspace_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(default=True)
    triggers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    calendar_ids: Mapped[list[int] | None] = mapped_column(JSONType)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # Each action's JSON, plus "disabledAt" on a webhook whose receiver answered 410 Gone.
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # The whsec_ signing secret, encrypted with the settings' key ring (crypto.py).
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RuleRun(Base):
    """A rule that matched one event change. Its status follows from its actions'."""

    __tablename__ = "rule_runs"
    __table_args__ = (Index("ix_rule_runs_rule", "rule_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("event_rules.id", ondelete="CASCADE"))
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # No foreign key: the run outlives a deleted event.
    event_id: Mapped[int]
    change: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RuleRunAction(Base):
    """One action of a run: ``pending`` → ``succeeded`` | ``failed`` | ``skipped``.

    ``delivery_id`` is the webhook's ``webhook-id`` (and the email's Message-ID): fixed when the
    run is made, so every attempt, retry and manual retry carries the same one. ``request``
    is what is sent (the webhook body, or the rendered email), also fixed at that moment.
    """

    __tablename__ = "rule_run_actions"
    __table_args__ = (Index("ix_rule_run_actions_run", "run_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("rule_runs.id", ondelete="CASCADE"))
    position: Mapped[int]
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=ActionStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    delivery_id: Mapped[str] = mapped_column(String(64))
    request: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebhookDelivery(Base):
    """One attempt to deliver a webhook (or an email): what came back, or why none was made."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_action", "action_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("rule_run_actions.id", ondelete="CASCADE"))
    attempt: Mapped[int]
    url: Mapped[str | None] = mapped_column(Text)
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
