"""Validation messages a person can read: Pydantic's wording ("Input should be a valid
integer", "Value error, …", a raw regular expression) becomes a short sentence about the field,
which the problem's ``errors[].field`` names."""

from __future__ import annotations

from typing import Any

_PLAIN = {
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "missing": "is required",
    "extra_forbidden": "is not a field of this request",
    "string_pattern_mismatch": "has the wrong format",
    "datetime_type": "must be an RFC 3339 date-time such as 2026-04-11T09:00:00+02:00",
    "datetime_parsing": "must be a valid date-time such as 2026-04-11T09:00:00+02:00",
    "datetime_from_date_parsing": "must be a valid date-time such as 2026-04-11T09:00:00+02:00",
    "date_parsing": "must be a valid date such as 2026-12-24",
    "date_from_datetime_parsing": "must be a valid date such as 2026-12-24",
    "date_from_datetime_inexact": "must be a date such as 2026-12-24",
    "time_delta_parsing": "must be a duration",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "must be at least {}"),
    "greater_than": ("gt", "must be greater than {}"),
    "less_than_equal": ("le", "must be at most {}"),
    "less_than": ("lt", "must be less than {}"),
    "string_too_long": ("max_length", "must be at most {} characters long"),
    "too_long": ("max_length", "must have at most {} items"),
    "too_short": ("min_length", "must have at least {} items"),
}


def human_message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if error.get("input", ...) is None and kind.endswith("_type"):
        return "must not be null"
    if kind in {"value_error", "assertion_error"} and "error" in ctx:
        return str(ctx["error"])
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"must be at least {minimum} characters"
    if kind in _BOUNDS:
        key, template = _BOUNDS[kind]
        return template.format(ctx.get(key, "?"))
    if kind in {"literal_error", "enum"} and "expected" in ctx:
        return f"must be one of {ctx['expected']}"
    if kind == "union_tag_invalid":
        return f"{ctx.get('discriminator', 'the kind')} must be one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"needs the field {ctx.get('discriminator', '')}".rstrip()
    if kind in _PLAIN:
        return _PLAIN[kind]
    message = str(error.get("msg", "is invalid"))
    return message.replace("Input should be", "must be").replace("Value error, ", "")
