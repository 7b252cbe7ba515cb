"""Small helpers shared by the route modules."""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

from calbridge_google_emulator import errors
from calbridge_google_emulator.emulator import Emulator
from calbridge_google_emulator.state import EmulatorState


def emulator_of(app: Starlette) -> Emulator:
    """The emulator behind an app made by `create_app` (the one way to reach it)."""
    emulator = app.state.emulator
    assert isinstance(emulator, Emulator)
    return emulator


def state_of(request: Request) -> EmulatorState:
    return emulator_of(request.app).state


async def read_json(request: Request) -> Any:
    """The request's JSON body; 400 `parseError` when it is not JSON (as Google answers)."""
    return parse_json(await request.body())


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        raise errors.ApiError(400, "parseError", "Parse Error") from None


def parse_object(raw: bytes) -> dict[str, Any]:
    """A JSON object body; 400 `parseError` for anything else."""
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise errors.ApiError(400, "parseError", "Parse Error")
    return body


def parse_bool(value: str | None, name: str, default: bool) -> bool:
    if value is None:
        return default
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise errors.invalid("Invalid Value", name)


def json_response(body: Any, status_code: int = 200, etag: str | None = None) -> JSONResponse:
    headers = {"ETag": etag} if etag else None
    return JSONResponse(body, status_code=status_code, headers=headers)
