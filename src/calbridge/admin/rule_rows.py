"""The rows of the rule builder: one condition (field / operator / value) or one action (its
own small form per type), between the posted text and the API's JSON (``rules/schemas.py``).

A row holds what was typed (text, ticks, lists of ticks), so a refused form comes back as sent.
``to_wire`` makes the API's JSON of a row; what only the form can get wrong (a number that is
not one) raises ``RowProblem`` naming the part; everything else is left to the schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, get_args

from starlette.datastructures import FormData

from calbridge.admin.common import form_text
from calbridge.rules.schemas import Weekday
from calbridge.statuses import EventStatus

WEEKDAYS: tuple[str, ...] = get_args(Weekday)

# Condition fields: label and operators (wire name → words), in the order the form offers them.
CONDITIONS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "title": ("Title", (("contains", "contains"), ("equals", "is exactly"))),
    "status": ("Status", (("equals", "is"),)),
    "durationMinutes": ("Length (minutes)", (("gte", "at least"), ("lte", "at most"))),
    "attendeeCount": ("Number of attendees", (("gte", "at least"), ("lte", "at most"))),
    "startTime": ("Starts within (hours from now)", (("withinHours", "within"),)),
    "weekday": ("Day of the week", (("in", "is one of"),)),
    "localTime": ("Start time of day", (("between", "between"),)),
    "metadata": ("Metadata", (("equals", "equals"),)),
}
ACTIONS: dict[str, str] = {
    "webhook": "Send a webhook",
    "email": "Send an email",
    "set_status": "Set the event's status",
    "add_attendee": "Add an attendee",
    "cancel_event": "Cancel the event",
}
TRIGGERS = {
    "event.created": "An event is booked",
    "event.updated": "An event is changed",
    "event.cancelled": "An event is cancelled",
    "event.deleted": "An event is deleted",
    "attendee.responded": "An attendee replies",
}
STATUSES = tuple(EventStatus)
# How a metadata condition's value is read: the API compares JSON values, so "42" ≠ 42.
METADATA_KINDS = {
    "text": "text",
    "number": "number",
    "true": "true",
    "false": "false",
    "null": "empty (null)",
}
# Names of the parts a row posts, for error messages ("Value must not be empty.").
PARTS = {
    "op": "Operator",
    "value": "Value",
    "key": "Key",
    "start": "From",
    "end": "To",
    "url": "URL",
    "to": "Addresses",
    "toAttendees": "Recipients",
    "subject": "Subject",
    "body": "Body",
    "status": "Status",
    "memberId": "Member",
    "reason": "Reason",
}


class RowProblem(ValueError):
    def __init__(self, part: str, message: str) -> None:
        super().__init__(message)
        self.part = part


@dataclass
class Row:
    """One condition (``kind`` = its field) or action (``kind`` = its type), as typed."""

    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = "") -> Any:
        return self.data.get(name, default)


def _number(text: str, part: str = "value", *, whole: bool = True) -> int | float:
    if not text:
        raise RowProblem(part, "must not be empty")
    try:
        return int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise RowProblem(part, f"must be {kind}, written in digits") from None


def condition_of_post(form: FormData, prefix: str, kind: str) -> Row:
    def text(name: str, limit: int = 300) -> str:
        return form_text(form.get(f"{prefix}-{name}"), limit)

    data: dict[str, Any] = {"op": text("op")}
    if kind == "weekday":
        data["value"] = [v for v in form.getlist(f"{prefix}-value") if isinstance(v, str)]
    elif kind == "localTime":
        data |= {"start": text("start"), "end": text("end")}
    else:
        data["value"] = text("value")
    if kind == "title":
        data["case"] = form.get(f"{prefix}-case") == "on"
    if kind == "metadata":
        data |= {"key": text("key"), "as": text("as") or "text"}
    return Row(kind, data)


def condition_of_wire(condition: dict[str, Any]) -> Row:
    kind = str(condition.get("field"))
    data: dict[str, Any] = {"op": condition.get("op", "")}
    value = condition.get("value")
    if kind == "localTime" and isinstance(value, dict):
        data |= {"start": value.get("start", ""), "end": value.get("end", "")}
    elif kind == "weekday":
        data["value"] = list(value or [])
    elif kind == "metadata":
        kinds = {True: "true", False: "false", None: "null"}
        as_ = kinds[value] if value is None or isinstance(value, bool) else None
        as_ = as_ or ("text" if isinstance(value, str) else "number")
        data |= {"key": condition.get("key", ""), "as": as_, "value": _shown(value)}
    else:
        data["value"] = _shown(value)
    if kind == "title":
        data["case"] = bool(condition.get("caseSensitive"))
    return Row(kind, data)


def _shown(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def condition_to_wire(row: Row) -> dict[str, Any]:
    wire: dict[str, Any] = {"field": row.kind, "op": row.get("op")}
    value = row.get("value")
    if row.kind in ("durationMinutes", "attendeeCount"):
        wire["value"] = _number(value)
    elif row.kind == "startTime":
        wire["value"] = _number(value, whole=False)
    elif row.kind == "localTime":
        wire["value"] = {"start": row.get("start"), "end": row.get("end")}
    elif row.kind == "metadata":
        wire["key"] = row.get("key")
        wire["value"] = _metadata_value(row.get("as"), value)
    else:
        wire["value"] = value
    if row.kind == "title":
        wire["caseSensitive"] = row.get("case", False)
    return wire


def _metadata_value(kind: str, text: str) -> Any:
    if kind == "number":
        return _number(text, whole=text.lstrip("-").isdigit())
    return {"true": True, "false": False, "null": None}.get(kind, text)


def action_of_post(form: FormData, prefix: str, kind: str) -> Row:
    def text(name: str, limit: int = 2100) -> str:
        return form_text(form.get(f"{prefix}-{name}"), limit)

    if kind == "webhook":
        return Row(kind, {"url": text("url")})
    if kind == "email":
        data = {
            "toAttendees": form.get(f"{prefix}-toAttendees") == "on",
            "to": text("to", 20_000),
            "subject": text("subject", 1000),
            "body": form_text(form.get(f"{prefix}-body"), 20_000),
        }
        return Row(kind, data)
    if kind == "set_status":
        return Row(kind, {"status": text("status")})
    if kind == "add_attendee":
        return Row(kind, {"memberId": text("memberId")})
    return Row(kind, {"reason": text("reason")})


def action_of_wire(action: dict[str, Any]) -> Row:
    kind = str(action.get("type"))
    data = {key: value for key, value in action.items() if key not in ("type", "disabledAt")}
    if kind == "email":
        data["to"] = ", ".join(data.get("to") or [])
    if kind == "add_attendee":
        data["memberId"] = str(data.get("memberId", ""))
    if kind == "cancel_event":
        data["reason"] = data.get("reason") or ""
    return Row(kind, data)


def action_to_wire(row: Row) -> dict[str, Any]:
    wire: dict[str, Any] = {"type": row.kind}
    if row.kind == "email":
        addresses = row.get("to").replace(",", " ").replace(";", " ").split()
        return wire | {
            "toAttendees": row.get("toAttendees", False),
            "to": addresses,
            "subject": row.get("subject"),
            "body": row.get("body"),
        }
    if row.kind == "add_attendee":
        if not row.get("memberId"):
            raise RowProblem("memberId", "must be chosen")
        return wire | {"memberId": _number(row.get("memberId"), "memberId")}
    if row.kind == "cancel_event":
        return wire | {"reason": row.get("reason") or None}
    return wire | dict(row.data)
