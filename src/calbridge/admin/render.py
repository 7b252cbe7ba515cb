"""Rendering: Jinja2 templates (autoescaped), and errors shown next to fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.templating import Jinja2Templates

from calbridge.admin import notice
from calbridge.admin.labels import label
from calbridge.admin.listing import SIZES, page_numbers
from calbridge.admin.session import Admin
from calbridge.admin.times import DATE_FIELD, DATE_TIME_FIELD, format_instant
from calbridge.errors import CalbridgeError, ValidationProblem
from calbridge.timezones import InvalidTimezone, load_timezone

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


# The one way a template writes a time (admin/times.py).
templates.env.filters["local"] = format_instant
templates.env.globals["date_field"] = DATE_FIELD
templates.env.globals["date_time_field"] = DATE_TIME_FIELD
templates.env.filters["label"] = label


def _zone_names() -> list[str]:
    names = []
    for name in sorted(available_timezones()):
        try:
            load_timezone(name)
        except InvalidTimezone:
            continue
        names.append(name)
    return names


templates.env.globals["timezones"] = _zone_names()
templates.env.globals["page_numbers"] = page_numbers
templates.env.globals["page_sizes"] = SIZES


def render(
    request: Request,
    template: str,
    admin: Admin | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    context.setdefault("errors", {})
    context.setdefault("form", {})
    context.setdefault("notice", notice.take(request))
    response: HTMLResponse = templates.TemplateResponse(
        request,
        template,
        {"admin": admin, "csrf_token": admin.csrf if admin else "", **context},
        status_code=status_code,
    )
    notice.clear(request, response)
    return response


def redirect(url: str) -> RedirectResponse:
    """After a successful POST: see the result with a GET (so a reload does not repeat it)."""
    return RedirectResponse(url, status_code=303)


def field_errors(error: Exception, fields: dict[str, str] | None = None) -> dict[str, str]:
    """Messages by form field, from a pydantic ``ValidationError`` (camelCase locations) or a
    ``CalbridgeError``. ``fields`` maps wire names to form names; what maps to no field is
    shown at the top of the form under ``"_form"``."""
    fields = fields or {}
    errors: dict[str, str] = {}
    if isinstance(error, ValidationError):
        for item in error.errors():
            location = [str(part) for part in item["loc"]]
            name = fields.get(location[0], location[0]) if location else "_form"
            message = str(item["msg"]).removeprefix("Value error, ")
            errors.setdefault(name, message)
    elif isinstance(error, ValidationProblem) and error.errors:
        for field_error in error.errors:
            errors.setdefault(fields.get(field_error.field, field_error.field), error.detail)
    elif isinstance(error, CalbridgeError):
        errors["_form"] = error.detail
    return errors
