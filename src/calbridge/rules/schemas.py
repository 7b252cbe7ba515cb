"""The wire shapes of event rules. Conditions are told apart by ``field`` and actions by
``type``, so an unknown field, operator or action type is a 422 that names where it is."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from jinja2 import TemplateSyntaxError
from pydantic import AfterValidator, Field, TypeAdapter, model_validator

from calbridge.event.schemas import BookableStatus, EventStatus
from calbridge.rules import templates
from calbridge.rules.ssrf import check_url_syntax
from calbridge.schemas import (
    REFUSE_NULL,
    Id,
    InputModel,
    Matching,
    NonBlank,
    OutputModel,
    WireDateTime,
)

Trigger = Literal[
    "event.created", "event.updated", "event.cancelled", "event.deleted", "attendee.responded"
]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
LocalTime = Annotated[
    str, Matching(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", "must be a time of day written HH:MM")
]
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("must be an email address")
    return value


Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]


class TitleCondition(InputModel):
    field: Literal["title"]
    op: Literal["contains", "equals"]
    value: Annotated[str, Field(min_length=1, max_length=255)]
    case_sensitive: bool = False


class StatusCondition(InputModel):
    field: Literal["status"]
    op: Literal["equals"]
    value: EventStatus


class DurationCondition(InputModel):
    """The event's length in minutes."""

    field: Literal["durationMinutes"]
    op: Literal["gte", "lte"]
    value: Annotated[int, Field(ge=0, le=525_600)]


class AttendeeCountCondition(InputModel):
    field: Literal["attendeeCount"]
    op: Literal["gte", "lte"]
    value: Annotated[int, Field(ge=0, le=10_000)]


class StartWithinCondition(InputModel):
    """The event starts between now and ``value`` hours from now."""

    field: Literal["startTime"]
    op: Literal["withinHours"]
    value: Annotated[float, Field(gt=0, le=24 * 366)]


class WeekdayCondition(InputModel):
    """The event starts on one of these days, in the calendar's time zone."""

    field: Literal["weekday"]
    op: Literal["in"]
    value: Annotated[list[Weekday], Field(min_length=1, max_length=7)]


class TimeWindow(InputModel):
    start: LocalTime
    end: LocalTime


class TimeOfDayCondition(InputModel):
    """The event starts at or after ``start`` and before ``end``, local to the calendar."""

    field: Literal["localTime"]
    op: Literal["between"]
    value: TimeWindow


class MetadataCondition(InputModel):
    field: Literal["metadata"]
    key: Annotated[str, Field(min_length=1, max_length=255)]
    op: Literal["equals"]
    value: str | int | float | bool | None


Condition = Annotated[
    TitleCondition
    | StatusCondition
    | DurationCondition
    | AttendeeCountCondition
    | StartWithinCondition
    | WeekdayCondition
    | TimeOfDayCondition
    | MetadataCondition,
    Field(discriminator="field"),
]


def _url(value: str) -> str:
    check_url_syntax(value)
    return value


class WebhookAction(InputModel):
    """POST the change to ``url``, signed with the rule's secret (Standard Webhooks)."""

    type: Literal["webhook"]
    url: Annotated[str, Field(max_length=2048), AfterValidator(_url)]


def _template(value: str) -> str:
    try:
        templates.compile_template(value)
        unknown = templates.unknown_names(value)
    except TemplateSyntaxError as error:
        raise ValueError(f"template error: {error.message}") from None
    if unknown:
        offered = ", ".join(sorted(templates.TEMPLATE_NAMES))
        raise ValueError(
            f"template uses {', '.join(unknown)}, which it is never given "
            f"(it has {offered}; event fields are camelCase, e.g. event.startTime)"
        )
    return value


Template = Annotated[str, Field(min_length=1, max_length=20_000), AfterValidator(_template)]


class EmailAction(InputModel):
    """Email the attendees and/or fixed addresses. Subject and body are templates over the
    event: ``{{ event.title }}``, ``{{ event.startTime }}``, ``{{ change }}``…"""

    type: Literal["email"]
    to_attendees: bool = False
    to: Annotated[list[Email], Field(max_length=50)] = Field(default_factory=list)
    subject: Annotated[Template, Field(max_length=998)]
    body: Template

    @model_validator(mode="after")
    def _has_recipients(self) -> EmailAction:
        if not self.to_attendees and not self.to:
            raise ValueError("give toAttendees or at least one address in to")
        return self


class SetStatusAction(InputModel):
    type: Literal["set_status"]
    status: BookableStatus


class AddAttendeeAction(InputModel):
    type: Literal["add_attendee"]
    member_id: Id


class CancelEventAction(InputModel):
    type: Literal["cancel_event"]
    reason: Annotated[str, Field(max_length=2000)] | None = None


Action = Annotated[
    WebhookAction | EmailAction | SetStatusAction | AddAttendeeAction | CancelEventAction,
    Field(discriminator="type"),
]
EVENT_ACTIONS = frozenset({"set_status", "add_attendee", "cancel_event"})
_ACTION: TypeAdapter[Action] = TypeAdapter(Action)


def parse_action(stored: dict[str, Any]) -> Action:
    """A rule's stored action (its wire JSON, with ``disabledAt`` on a webhook a 410 switched
    off) as its typed model: code dispatches on the model's class, never on ``["type"]``."""
    return _ACTION.validate_python({k: v for k, v in stored.items() if k != "disabledAt"})


def stored_action(action: Action) -> dict[str, Any]:
    """The JSON an action was stored as (the fields it was given, by their wire names)."""
    stored: dict[str, Any] = action.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return stored


Name = Annotated[NonBlank, Field(min_length=1, max_length=255)]
Triggers = Annotated[list[Trigger], Field(min_length=1, max_length=5)]
CalendarIds = Annotated[list[Id], Field(min_length=1, max_length=100)]
Conditions = Annotated[list[Condition], Field(max_length=20)]
Actions = Annotated[list[Action], Field(min_length=1, max_length=10)]


class RuleCreate(InputModel):
    name: Name
    enabled: bool = True
    triggers: Triggers
    calendar_ids: CalendarIds | None = None
    conditions: Conditions = Field(default_factory=list)
    actions: Actions


class RuleUpdate(InputModel):
    """Any subset of the create fields. Replacing ``actions`` re-enables webhooks disabled by a
    410 answer."""

    name: Annotated[Name | None, REFUSE_NULL] = None
    enabled: Annotated[bool | None, REFUSE_NULL] = None
    triggers: Annotated[Triggers | None, REFUSE_NULL] = None
    calendar_ids: CalendarIds | None = None
    conditions: Annotated[Conditions | None, REFUSE_NULL] = None
    actions: Annotated[Actions | None, REFUSE_NULL] = None


class RuleResponse(OutputModel):
    id: int
    name: str
    enabled: bool
    triggers: list[str]
    calendar_ids: list[int] | None
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    created_at: WireDateTime
    updated_at: WireDateTime


class RuleCreated(RuleResponse):
    """The create response: the only time the signing secret is shown (besides rotation)."""

    secret: str


class RuleSecret(OutputModel):
    secret: str


class AttemptResponse(OutputModel):
    attempt: int
    at: WireDateTime
    url: str | None
    response_status: int | None
    response_body: str | None
    error: str | None
    duration_ms: int


class RunActionResponse(OutputModel):
    position: int
    type: str
    status: str
    attempts: int
    delivery_id: str
    error: str | None
    next_attempt_at: WireDateTime | None
    attempt_log: list[AttemptResponse]


class RunResponse(OutputModel):
    id: int
    rule_id: int
    event_id: int
    change: str
    status: str
    created_at: WireDateTime
    actions: list[RunActionResponse]


class RuleTestRequest(InputModel):
    event_id: Id
    trigger: Trigger = "event.updated"


class ConditionOutcome(OutputModel):
    condition: dict[str, Any]
    passed: bool


class TestActionOutcome(OutputModel):
    position: int
    type: str
    would: str
    status: str | None = None
    response_status: int | None = None
    error: str | None = None


class RuleTestResponse(OutputModel):
    matched: bool
    trigger_matched: bool
    calendar_matched: bool
    conditions: list[ConditionOutcome]
    actions: list[TestActionOutcome]
