"""The event rule form: plain fields for name, enabled, triggers and calendars, and JSON for the
conditions and actions (the API's own shapes, so the form can say everything the API can).

The form becomes a ``RuleCreate``; its validation errors (and the service's, e.g. an unknown
calendar) are shown next to the field they start with, with the path inside it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import ValidationError
from starlette.datastructures import FormData

from calbridge.admin.common import form_text
from calbridge.errors import CalbridgeError, ValidationProblem
from calbridge.rules.schemas import RuleCreate, RuleResponse, Trigger

TRIGGERS: tuple[str, ...] = get_args(Trigger)
# What a new rule's form starts with.
EXAMPLE_ACTIONS = '[\n  {"type": "webhook", "url": "https://example.com/hooks/calbridge"}\n]'
# Form field names by the first part of an error's location.
FIELDS = {"calendarIds": "calendar_ids"}


@dataclass
class RuleForm:
    """What the form shows (as typed, so a refused form comes back as it was sent)."""

    name: str = ""
    enabled: bool = True
    triggers: list[str] = field(default_factory=lambda: ["event.created"])
    calendar_ids: list[int] = field(default_factory=list)
    conditions: str = "[]"
    actions: str = EXAMPLE_ACTIONS

    @classmethod
    def of_rule(cls, rule: RuleResponse) -> RuleForm:
        return cls(
            name=rule.name,
            enabled=rule.enabled,
            triggers=list(rule.triggers),
            calendar_ids=list(rule.calendar_ids or []),
            conditions=json.dumps(rule.conditions, indent=2),
            # Saving the form replaces the actions, which turns a webhook disabled by a 410
            # answer on again (the rule page says which one is off).
            actions=json.dumps(
                [{k: v for k, v in action.items() if k != "disabledAt"} for action in rule.actions],
                indent=2,
            ),
        )

    @classmethod
    def of_post(cls, form: FormData) -> RuleForm:
        ids = [value for value in form.getlist("calendar_ids") if isinstance(value, str)]
        return cls(
            name=form_text(form.get("name"), 300),
            enabled=form.get("enabled") == "on",
            triggers=[value for value in form.getlist("triggers") if isinstance(value, str)],
            calendar_ids=[int(value) for value in ids if value.isascii() and value.isdigit()],
            conditions=form_text(form.get("conditions"), 100_000) or "[]",
            actions=form_text(form.get("actions"), 100_000),
        )

    def parse(self) -> RuleCreate:
        """The rule this form describes; ``FormErrors`` says what is wrong, by field."""
        errors: dict[str, str] = {}
        data: dict[str, Any] = {
            "name": self.name,
            "enabled": self.enabled,
            "triggers": self.triggers,
            "calendarIds": self.calendar_ids or None,
        }
        for name in ("conditions", "actions"):
            try:
                data[name] = json.loads(getattr(self, name))
            except ValueError as error:
                errors[name] = f"Not valid JSON: {error}"
        if errors:
            raise FormErrors(errors)
        try:
            return RuleCreate.model_validate(data)
        except ValidationError as error:
            raise FormErrors(validation_errors(error)) from None


class FormErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _where(location: list[str]) -> tuple[str, str]:
    head = location[0] if location else "_form"
    return FIELDS.get(head, head), ".".join(location)


def validation_errors(error: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in error.errors():
        name, path = _where([str(part) for part in item["loc"]])
        message = str(item["msg"]).removeprefix("Value error, ")
        errors.setdefault(name, f"{path}: {message}" if "." in path else message)
    return errors


def service_errors(error: CalbridgeError) -> dict[str, str]:
    """A service's refusal (unknown calendar or member) by form field."""
    if isinstance(error, ValidationProblem) and error.errors:
        errors: dict[str, str] = {}
        for item in error.errors:
            name, path = _where(item.field.split("."))
            errors.setdefault(name, f"{path}: {item.message}")
        return errors
    return {"_form": error.detail}
