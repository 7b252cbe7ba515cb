"""Deciding what a rule does about one event change: a pure function, tested without a database.

    evaluate(rule, change, before, after, now) → the actions to run (empty: the rule is silent)

A rule acts when the change is one of its triggers, the event is on one of its calendars (if it
names any), and every condition holds for the event (after the change; before it, for a
deletion). ``explain`` gives the same answer part by part, for the test endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from calbridge.rules.conditions import EventJSON, holds
from calbridge.rules.schemas import Action, parse_action

# event.changed's ``change`` → the trigger a rule names.
TRIGGERS = {
    "created": "event.created",
    "updated": "event.updated",
    "cancelled": "event.cancelled",
    "deleted": "event.deleted",
    "attendee.responded": "attendee.responded",
}


@dataclass(frozen=True)
class RuleSpec:
    """What evaluation needs of a rule (a plain copy of the stored row)."""

    id: int
    triggers: list[str]
    calendar_ids: list[int] | None
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    enabled: bool = True


@dataclass(frozen=True)
class PlannedAction:
    """An action to run, with its place in the rule's list (kept when another is disabled)."""

    position: int
    action: Action

    @property
    def type(self) -> str:
        return self.action.type


@dataclass(frozen=True)
class Explanation:
    trigger_matched: bool
    calendar_matched: bool
    conditions: list[tuple[dict[str, Any], bool]]

    @property
    def matched(self) -> bool:
        return (
            self.trigger_matched
            and self.calendar_matched
            and all(passed for _, passed in self.conditions)
        )


def subject(before: EventJSON | None, after: EventJSON | None) -> EventJSON:
    """The event the conditions look at: after the change, or before it for a deletion."""
    event = after if after is not None else before
    if event is None:
        raise ValueError("a change has an event before or after it")
    return event


def explain(
    rule: RuleSpec, trigger: str, before: EventJSON | None, after: EventJSON | None, now: datetime
) -> Explanation:
    event = subject(before, after)
    return Explanation(
        trigger_matched=trigger in rule.triggers,
        calendar_matched=rule.calendar_ids is None or event["calendarId"] in rule.calendar_ids,
        conditions=[(condition, holds(condition, event, now)) for condition in rule.conditions],
    )


def evaluate(
    rule: RuleSpec,
    change: str,
    before: EventJSON | None,
    after: EventJSON | None,
    now: datetime,
) -> list[PlannedAction]:
    """The rule's actions (in order) if it acts on this change, else []. Disabled rules and
    actions (a webhook switched off by a 410) do nothing."""
    trigger = TRIGGERS.get(change)
    if not rule.enabled or trigger is None or trigger not in rule.triggers:
        return []
    if not explain(rule, trigger, before, after, now).matched:
        return []
    return [
        PlannedAction(position, parse_action(action))
        for position, action in enumerate(rule.actions)
        if not action.get("disabledAt")
    ]
