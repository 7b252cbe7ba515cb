"""The event rule builder: name, on/off, triggers and calendars as plain fields; conditions as
rows of field / operator / value and actions as one small form per type (``rule_rows.py``).

The form becomes the API's own body and is validated by ``RuleCreate``, so it builds exactly
what the API would. Errors come back on the row and part they belong to, in words. Rows are
added and removed by ``static/editor.js``; without JavaScript the same buttons post the form
with ``edit`` and the page comes back with the change made and nothing saved.

Posted names: ``condition-<i>-field`` and its parts (``-op``, ``-value``, ``-case``, ``-key``,
``-as``, ``-start``, ``-end``); ``action-<i>-type`` and its parts (``-url``, ``-to``, …)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import ValidationError
from starlette.datastructures import FormData

from calbridge.admin import rule_rows
from calbridge.admin.common import form_text
from calbridge.admin.rule_rows import ACTIONS, CONDITIONS, PARTS, Row, RowProblem
from calbridge.errors import CalbridgeError, ValidationProblem
from calbridge.messages import human_message
from calbridge.rules.schemas import RuleCreate, RuleResponse, Trigger

TRIGGERS: tuple[str, ...] = get_args(Trigger)
# Form field names by the first part of an error's location.
FIELDS = {"calendarIds": "calendar_ids"}
_ROW = re.compile(r"^(condition|action)-(\d{1,3})-(field|type)$")


@dataclass
class RuleForm:
    """What the form shows (as typed, so a refused form comes back as it was sent)."""

    name: str = ""
    enabled: bool = True
    triggers: list[str] = field(default_factory=lambda: ["event.created"])
    calendar_ids: list[int] = field(default_factory=list)
    conditions: list[Row] = field(default_factory=list)
    actions: list[Row] = field(default_factory=lambda: [Row("webhook", {"url": ""})])
    show_json: bool = False  # the advanced view starts open (after "Show JSON")

    @classmethod
    def of_rule(cls, rule: RuleResponse) -> RuleForm:
        return cls(
            name=rule.name,
            enabled=rule.enabled,
            triggers=list(rule.triggers),
            calendar_ids=list(rule.calendar_ids or []),
            conditions=[rule_rows.condition_of_wire(item) for item in rule.conditions],
            # Saving the form replaces the actions, which turns a webhook disabled by a 410
            # answer on again (the rule page says which one is off).
            actions=[rule_rows.action_of_wire(item) for item in rule.actions],
        )

    @classmethod
    def of_post(cls, form: FormData) -> RuleForm:
        ids = [value for value in form.getlist("calendar_ids") if isinstance(value, str)]
        rows: dict[str, list[tuple[int, str]]] = {"condition": [], "action": []}
        for name in form:
            match = _ROW.match(str(name))
            if match:
                rows[match[1]].append((int(match[2]), form_text(form.get(str(name)), 50)))
        return cls(
            name=form_text(form.get("name"), 300),
            enabled=form.get("enabled") == "on",
            triggers=[value for value in form.getlist("triggers") if isinstance(value, str)],
            calendar_ids=[int(value) for value in ids if value.isascii() and value.isdigit()],
            conditions=[
                rule_rows.condition_of_post(form, f"condition-{i}", kind)
                for i, kind in sorted(rows["condition"])
                if kind in CONDITIONS
            ],
            actions=[
                rule_rows.action_of_post(form, f"action-{i}", kind)
                for i, kind in sorted(rows["action"])
                if kind in ACTIONS
            ],
        )

    def edit(self, command: str, form: FormData) -> None:
        """One editing step of a form posted without JavaScript (the ``edit`` button)."""
        verb, _, index = command.partition(":")
        self.show_json = verb == "show-json"
        if verb == "add-condition":
            kind = form_text(form.get("new-condition"), 50)
            if kind in CONDITIONS:
                self.conditions.append(Row(kind, {"op": CONDITIONS[kind][1][0][0]}))
        elif verb == "add-action":
            kind = form_text(form.get("new-action"), 50)
            if kind in ACTIONS:
                self.actions.append(Row(kind))
        elif verb in ("remove-condition", "remove-action") and index.isdigit():
            rows = self.conditions if verb == "remove-condition" else self.actions
            if int(index) < len(rows):
                del rows[int(index)]

    def body(self) -> dict[str, Any]:
        """The API's request body for this form; ``FormErrors`` for what only the form can get
        wrong (a number that is not one)."""
        errors: dict[str, str] = {}
        wired: dict[str, list[dict[str, Any]]] = {"conditions": [], "actions": []}
        for name, rows, to_wire in (
            ("condition", self.conditions, rule_rows.condition_to_wire),
            ("action", self.actions, rule_rows.action_to_wire),
        ):
            for i, row in enumerate(rows):
                try:
                    wired[f"{name}s"].append(to_wire(row))
                except RowProblem as problem:
                    errors[f"{name}-{i}"] = _sentence(problem.part, str(problem))
                    errors[f"{name}-{i}-{problem.part}"] = errors[f"{name}-{i}"]
        if errors:
            raise FormErrors(errors)
        return {
            "name": self.name,
            "enabled": self.enabled,
            "triggers": self.triggers,
            "calendarIds": self.calendar_ids or None,
            **wired,
        }

    def parse(self) -> RuleCreate:
        """The rule this form describes; ``FormErrors`` says what is wrong, by field and row."""
        try:
            return RuleCreate.model_validate(self.body())
        except ValidationError as error:
            raise FormErrors(validation_errors(error)) from None

    def advanced(self) -> str:
        """The API body this form stands for, as JSON (the builder's read-only advanced view);
        a part the form cannot turn into JSON yet is left out."""
        try:
            body = self.body()
        except FormErrors:
            return "(fix the marked rows to see the JSON)"
        return json.dumps(body, indent=2, ensure_ascii=False)


class FormErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _sentence(part: str | None, message: str) -> str:
    text = f"{PARTS[part]} {message}" if part in PARTS else message[:1].upper() + message[1:]
    return text if text.endswith(".") else f"{text}."


def _place(location: list[str], message: str, errors: dict[str, str]) -> None:
    """Files an error at ``location`` (the wire's path) under its row, and its part."""
    head = location[0] if location else "_form"
    if head in ("conditions", "actions") and len(location) > 1 and location[1].isdigit():
        row = f"{head[:-1]}-{location[1]}"
        # Past the index may come the union's tag (``title``, ``webhook``), then the part.
        tags = CONDITIONS if head == "conditions" else ACTIONS
        rest = location[3:] if len(location) > 2 and location[2] in tags else location[2:]
        part = next((p for p in reversed(rest) if p in PARTS), None)
        errors.setdefault(row, _sentence(part, message))
        # Which inputs of the row are marked invalid: that part's, or all ("*").
        errors.setdefault(f"{row}-{part or '*'}", errors[row])
        return
    errors.setdefault(FIELDS.get(head, head), _sentence(None, message))


def validation_errors(error: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in error.errors():
        _place([str(part) for part in item["loc"]], human_message(dict(item)), errors)
    return errors


def service_errors(error: CalbridgeError) -> dict[str, str]:
    """A service's refusal (unknown calendar or member, a refused webhook target) by field and
    row."""
    if isinstance(error, ValidationProblem) and error.errors:
        errors: dict[str, str] = {}
        for item in error.errors:
            _place(item.field.split("."), item.message, errors)
        return errors
    return {"_form": error.detail}
