"""The control API under `/_emulator/` (no authentication): state, faults, tokens, clock.

- `GET /_emulator/state` → 200 snapshot: users, calendars, every event (cancelled too),
  grants (with refresh tokens), pending faults.
- `POST /_emulator/reset` → 204: no events, grants or faults; configured tokens stay.
- `POST /_emulator/faults` `{kind, count?, method?, pathPrefix?, seconds?, retryAfter?,
  channelId?}` → 201 the fault; `GET` lists them (`{"faults": [...]}`), `DELETE` clears them (204).
- `POST /_emulator/access-tokens` `{token?, email?, scopes?, expiresIn?}`
  → 201 `{"access_token", "email", "expires_in"}` (no `expiresIn`: never expires).
- `POST /_emulator/revoke` `{token}` or `{email}` → 200 `{"revoked": n}`.
- `POST /_emulator/clock/advance` `{seconds}` → 200 `{"now"}`.
- `POST /_emulator/sync-tokens/invalidate` → 204; issued sync tokens then answer 410.
- `POST /_emulator/calendars` `{id, summary?, timeZone?, email?}` → 201 calendar list entry;
  `DELETE /_emulator/calendars/{id}` → 204 (a secondary calendar; its channels get
  `not_exists`).
- `GET /_emulator/channels` → `{"channels": [...]}`; `POST /_emulator/channels/{id}/expire`
  → 204, the channel expires now (404 if unknown).
- `GET /_emulator/notifications` → `{"notifications": [...]}`, every delivery attempt.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from calbridge_google_emulator import errors
from calbridge_google_emulator.resources import list_entry
from calbridge_google_emulator.web import emulator_of, read_json


def _bad(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=400)


async def _body(request: Request) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise errors.ApiError(400, "parseError", "Parse Error")
    return body


async def get_state(request: Request) -> Response:
    emulator = emulator_of(request.app)
    async with emulator.state.lock:
        return JSONResponse(emulator.snapshot())


async def reset(request: Request) -> Response:
    emulator = emulator_of(request.app)
    async with emulator.state.lock:
        emulator.reset()
    return Response(status_code=204)


async def add_fault(request: Request) -> Response:
    body = await _body(request)
    try:
        fault = emulator_of(request.app).add_fault(
            str(body.get("kind")),
            count=int(body.get("count", 1)),
            method=body.get("method"),
            path_prefix=body.get("pathPrefix"),
            seconds=float(body.get("seconds", 0.0)),
            retry_after=body.get("retryAfter"),
            channel_id=body.get("channelId"),
        )
    except (TypeError, ValueError) as exc:
        return _bad(str(exc))
    return JSONResponse(fault.to_json(), status_code=201)


async def list_faults(request: Request) -> Response:
    return JSONResponse({"faults": [f.to_json() for f in emulator_of(request.app).faults.faults]})


async def clear_faults(request: Request) -> Response:
    emulator_of(request.app).faults.clear()
    return Response(status_code=204)


async def add_access_token(request: Request) -> Response:
    body = await _body(request)
    emulator = emulator_of(request.app)
    scopes = body.get("scopes")
    expires_in = body.get("expiresIn")
    async with emulator.state.lock:
        token = emulator.issue_access_token(
            token=body.get("token"),
            email=body.get("email"),
            scopes=tuple(scopes) if scopes is not None else None,
            expires_in=expires_in,
        )
    email = body.get("email") or emulator.config.user_email
    return JSONResponse(
        {"access_token": token, "email": email, "expires_in": expires_in}, status_code=201
    )


async def revoke(request: Request) -> Response:
    body = await _body(request)
    emulator = emulator_of(request.app)
    if not body.get("token") and not body.get("email"):
        return _bad("give token or email")
    async with emulator.state.lock:
        count = emulator.revoke(token=body.get("token"), email=body.get("email"))
    return JSONResponse({"revoked": count})


async def advance_clock(request: Request) -> Response:
    body = await _body(request)
    emulator = emulator_of(request.app)
    try:
        seconds = float(body["seconds"])
    except (KeyError, TypeError, ValueError):
        return _bad("give seconds")
    emulator.advance_clock(seconds)
    return JSONResponse({"now": emulator.state.clock.now().isoformat()})


async def invalidate_sync_tokens(request: Request) -> Response:
    emulator = emulator_of(request.app)
    async with emulator.state.lock:
        emulator.invalidate_sync_tokens()
    return Response(status_code=204)


async def add_calendar(request: Request) -> Response:
    body = await _body(request)
    emulator = emulator_of(request.app)
    if not isinstance(body.get("id"), str) or not body["id"]:
        return _bad("give id")
    async with emulator.state.lock:
        calendar = emulator.add_calendar(
            body["id"], body.get("summary"), body.get("timeZone"), body.get("email")
        )
    return JSONResponse(list_entry(calendar), status_code=201)


async def remove_calendar(request: Request) -> Response:
    emulator = emulator_of(request.app)
    async with emulator.state.lock:
        try:
            emulator.remove_calendar(request.path_params["calendar_id"])
        except KeyError:
            return JSONResponse({"error": "no such calendar"}, status_code=404)
        except ValueError as exc:
            return _bad(str(exc))
    return Response(status_code=204)


async def list_channels(request: Request) -> Response:
    emulator = emulator_of(request.app)
    async with emulator.state.lock:
        return JSONResponse({"channels": emulator.channels()})


async def expire_channel(request: Request) -> Response:
    emulator = emulator_of(request.app)
    async with emulator.state.lock:
        if not emulator.expire_channel(request.path_params["channel_id"]):
            return JSONResponse({"error": "no such channel"}, status_code=404)
    return Response(status_code=204)


async def list_notifications(request: Request) -> Response:
    return JSONResponse({"notifications": emulator_of(request.app).notifications()})


P = "/_emulator"
routes = [
    Route(P + "/state", get_state, methods=["GET"]),
    Route(P + "/reset", reset, methods=["POST"]),
    Route(P + "/faults", add_fault, methods=["POST"]),
    Route(P + "/faults", list_faults, methods=["GET"]),
    Route(P + "/faults", clear_faults, methods=["DELETE"]),
    Route(P + "/access-tokens", add_access_token, methods=["POST"]),
    Route(P + "/revoke", revoke, methods=["POST"]),
    Route(P + "/clock/advance", advance_clock, methods=["POST"]),
    Route(P + "/sync-tokens/invalidate", invalidate_sync_tokens, methods=["POST"]),
    Route(P + "/calendars", add_calendar, methods=["POST"]),
    Route(P + "/calendars/{calendar_id}", remove_calendar, methods=["DELETE"]),
    Route(P + "/channels", list_channels, methods=["GET"]),
    Route(P + "/channels/{channel_id}/expire", expire_channel, methods=["POST"]),
    Route(P + "/notifications", list_notifications, methods=["GET"]),
]
