"""Conditions and evaluation, table-driven, without a database: every operator holds and fails."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from calbridge.rules.conditions import holds
from calbridge.rules.evaluate import RuleSpec, evaluate

NOW = datetime(2026, 4, 12, 12, 0, tzinfo=UTC)


def event(**fields: Any) -> dict[str, Any]:
    """Monday 13 April 2026, 09:00 to 09:30 in Amsterdam (07:00 UTC), two attendees."""
    base: dict[str, Any] = {
        "id": 1,
        "calendarId": 7,
        "title": "Intro call with ACME",
        "startTime": "2026-04-13T09:00:00+02:00",
        "endTime": "2026-04-13T09:30:00+02:00",
        "timezone": "Europe/Amsterdam",
        "status": "confirmed",
        "attendees": [{"email": "a@example.com"}, {"email": "b@example.com"}],
        "metadata": {"source": "web", "priority": 2, "vip": True},
    }
    return {**base, **fields}


CASES = [
    ({"field": "title", "op": "contains", "value": "acme"}, True),
    ({"field": "title", "op": "contains", "value": "acme", "caseSensitive": True}, False),
    ({"field": "title", "op": "contains", "value": "demo"}, False),
    ({"field": "title", "op": "equals", "value": "intro call with acme"}, True),
    ({"field": "title", "op": "equals", "value": "Intro call"}, False),
    ({"field": "status", "op": "equals", "value": "confirmed"}, True),
    ({"field": "status", "op": "equals", "value": "tentative"}, False),
    ({"field": "durationMinutes", "op": "gte", "value": 30}, True),
    ({"field": "durationMinutes", "op": "gte", "value": 31}, False),
    ({"field": "durationMinutes", "op": "lte", "value": 30}, True),
    ({"field": "durationMinutes", "op": "lte", "value": 29}, False),
    ({"field": "attendeeCount", "op": "gte", "value": 2}, True),
    ({"field": "attendeeCount", "op": "gte", "value": 3}, False),
    ({"field": "attendeeCount", "op": "lte", "value": 2}, True),
    ({"field": "attendeeCount", "op": "lte", "value": 1}, False),
    ({"field": "startTime", "op": "withinHours", "value": 24}, True),  # 19 h from NOW
    ({"field": "startTime", "op": "withinHours", "value": 18}, False),
    ({"field": "weekday", "op": "in", "value": ["monday"]}, True),
    ({"field": "weekday", "op": "in", "value": ["sunday", "tuesday"]}, False),
    ({"field": "localTime", "op": "between", "value": {"start": "09:00", "end": "12:00"}}, True),
    ({"field": "localTime", "op": "between", "value": {"start": "07:00", "end": "09:00"}}, False),
    ({"field": "localTime", "op": "between", "value": {"start": "22:00", "end": "09:30"}}, True),
    ({"field": "metadata", "key": "source", "op": "equals", "value": "web"}, True),
    ({"field": "metadata", "key": "source", "op": "equals", "value": "phone"}, False),
    ({"field": "metadata", "key": "priority", "op": "equals", "value": 2}, True),
    ({"field": "metadata", "key": "vip", "op": "equals", "value": True}, True),
    ({"field": "metadata", "key": "priority", "op": "equals", "value": True}, False),
    ({"field": "metadata", "key": "missing", "op": "equals", "value": None}, False),
]


@pytest.mark.parametrize(("condition", "expected"), CASES)
def test_condition(condition: dict[str, Any], expected: bool) -> None:
    assert holds(condition, event(), NOW) is expected


def test_weekday_and_time_are_local_to_the_calendar() -> None:
    # Monday 00:30 in Amsterdam is still Sunday in UTC.
    late = event(startTime="2026-04-12T22:30:00+00:00", endTime="2026-04-12T23:00:00+00:00")
    assert holds({"field": "weekday", "op": "in", "value": ["monday"]}, late, NOW)
    window = {"field": "localTime", "op": "between", "value": {"start": "00:00", "end": "01:00"}}
    assert holds(window, late, NOW)
    tokyo = event(timezone="Asia/Tokyo")  # 07:00 UTC is 16:00 in Tokyo
    assert holds({**window, "value": {"start": "16:00", "end": "17:00"}}, tokyo, NOW)


def test_start_in_the_past_is_not_within() -> None:
    past = event(startTime="2026-04-12T11:00:00+02:00", endTime="2026-04-12T11:30:00+02:00")
    assert not holds({"field": "startTime", "op": "withinHours", "value": 48}, past, NOW)


def _rule(**fields: Any) -> RuleSpec:
    base: dict[str, Any] = {
        "id": 1,
        "triggers": ["event.created", "event.deleted"],
        "calendar_ids": None,
        "conditions": [{"field": "title", "op": "contains", "value": "intro"}],
        "actions": [{"type": "webhook", "url": "https://x.example/"}, {"type": "cancel_event"}],
    }
    return RuleSpec(**{**base, **fields})


def test_evaluate_matches_trigger_calendar_and_all_conditions() -> None:
    planned = evaluate(_rule(), "created", None, event(), NOW)
    assert [(p.position, p.type) for p in planned] == [(0, "webhook"), (1, "cancel_event")]
    assert evaluate(_rule(), "updated", event(), event(), NOW) == []
    assert evaluate(_rule(calendar_ids=[8]), "created", None, event(), NOW) == []
    assert evaluate(_rule(calendar_ids=[7, 8]), "created", None, event(), NOW) != []
    extra = {"field": "status", "op": "equals", "value": "tentative"}
    conditions = [*_rule().conditions, extra]
    assert evaluate(_rule(conditions=conditions), "created", None, event(), NOW) == []
    assert evaluate(_rule(enabled=False), "created", None, event(), NOW) == []


def test_deletion_is_judged_on_the_event_before() -> None:
    assert evaluate(_rule(), "deleted", event(), None, NOW) != []
    assert evaluate(_rule(), "deleted", event(title="Other"), None, NOW) == []


def test_disabled_webhooks_are_left_out_and_positions_kept() -> None:
    actions = [
        {"type": "webhook", "url": "https://x.example/", "disabledAt": "…"},
        {"type": "cancel_event"},
    ]
    planned = evaluate(_rule(actions=actions), "created", None, event(), NOW)
    assert [(p.position, p.type) for p in planned] == [(1, "cancel_event")]
