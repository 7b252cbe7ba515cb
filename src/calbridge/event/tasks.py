"""Outbox jobs of the event domain.

``event.changed`` is written in the transaction of every booking change. Its job fans out to
the job kinds that subscribed to it (``calbridge.jobs`` lists them: Google sync, event rules),
one job each, in its own transaction: a subscriber's job exists exactly when the change
committed, and each subscriber retries on its own. Each fan-out job is ordered per event and per
subscriber (``"{kind}:event:{id}"``), so one subscriber's backlog never holds up another's.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from calbridge.event.service import EVENT_CHANGED
from calbridge.outbox.registry import JobRegistry


class ChangePayload(TypedDict):
    """An ``event.changed`` job: which event changed how, with its state before and after."""

    workspace_id: int
    event_id: int
    change: str
    event_uid: NotRequired[str]
    before: NotRequired[dict[str, Any] | None]
    after: NotRequired[dict[str, Any] | None]
    before_changes: NotRequired[dict[str, Any] | None]
    before_google: NotRequired[dict[str, Any] | None]
    origin: NotRequired[str]
    rule_id: NotRequired[int]


def ordering_key(kind: str, payload: dict[str, Any]) -> str:
    """A subscriber's jobs of one event run in order; other subscribers' do not wait for them."""
    return f"{kind}:event:{payload['event_id']}"


def jobs() -> JobRegistry:
    registry = JobRegistry()
    registry.fan_out(EVENT_CHANGED, ordering_key)
    return registry
