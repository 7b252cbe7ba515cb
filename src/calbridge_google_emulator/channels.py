"""events.watch and channels.stop: push notification channels on a calendar's events.

Google's rules kept here (request and response are the discovery document's `Channel`):
- `id` is required and must not be the id of another live channel (400 `channelIdNotUnique`);
  `type` must be `web_hook` (or `webhook`); `address` is required.
- Google delivers only to HTTPS addresses on domains the project has verified. Here the rule
  is "loopback only": `localhost`, `127.0.0.0/8` or `::1`, over `http` or `https`. A
  non-HTTPS address elsewhere is 400 `push.webhookUrlNotHttps`, an HTTPS one 400
  `push.webhookUrlUnauthorized`, as Google answers for an unverified domain.
- `expiration` (Unix milliseconds, optional) is capped at `MAX_TTL_SECONDS`; without it,
  `params.ttl` (seconds) or `DEFAULT_TTL_SECONDS` applies. One in the past is 400.
- The answer echoes `id`, `token` and `expiration`, adds `resourceId` (stable per calendar)
  and `resourceUri`; then a `sync` message (number 1) goes to the address.
- stop takes `{id, resourceId}` and answers 204 with no body; a channel that is unknown,
  already stopped, expired, another user's, or given with the wrong `resourceId` is 404.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from calbridge_google_emulator import errors
from calbridge_google_emulator.auth import authenticate
from calbridge_google_emulator.calendar_api import resolve_calendar
from calbridge_google_emulator.discovery import ApiRoute
from calbridge_google_emulator.resources import channel_resource
from calbridge_google_emulator.state import Channel, EmulatorState
from calbridge_google_emulator.web import emulator_of, json_response, parse_object, state_of

DEFAULT_TTL_SECONDS = 7 * 24 * 3600
MAX_TTL_SECONDS = 30 * 24 * 3600
MAX_TOKEN_LENGTH = 256
CHANNEL_TYPES = ("web_hook", "webhook")


def _text(body: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise errors.required("Required", name)
        return None
    if not isinstance(value, str) or (required and not value):
        raise errors.invalid("Invalid Value", name)
    return value


def check_address(address: str) -> None:
    """Loopback only (see the module docstring); Google's reasons otherwise."""
    parts = urlsplit(address)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise errors.invalid(f"Invalid webhook address: {address}", "address")
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    if parts.scheme != "https":
        raise errors.ApiError(
            400, "push.webhookUrlNotHttps", f"WebHook callback must be HTTPS: {address}"
        )
    raise errors.ApiError(
        400, "push.webhookUrlUnauthorized", f"Unauthorized WebHook callback channel: {address}"
    )


def _expiration_ms(state: EmulatorState, body: dict[str, Any], params: dict[str, str]) -> int:
    now_ms = int(state.clock.time() * 1000)
    raw = body.get("expiration")
    try:
        if raw is not None:
            if isinstance(raw, bool) or not isinstance(raw, str | int):
                raise ValueError
            wanted = int(raw)
        elif "ttl" in params:
            wanted = now_ms + int(params["ttl"]) * 1000
        else:
            wanted = now_ms + DEFAULT_TTL_SECONDS * 1000
    except ValueError:
        raise errors.invalid("Invalid Value", "expiration") from None
    if wanted <= now_ms:
        raise errors.invalid("Channel expiration is in the past.", "expiration")
    return min(wanted, now_ms + MAX_TTL_SECONDS * 1000)


def _params(body: dict[str, Any]) -> dict[str, str]:
    params = body.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise errors.invalid("Invalid Value", "params")
    return dict(params)


async def watch_events(request: Request) -> Response:
    state = state_of(request)
    payload = await request.body()
    async with state.lock:
        token = authenticate(state, request, "calendar.events.watch")
        calendar = resolve_calendar(state, request, token.email)
        body = parse_object(payload)
        channel_id = _text(body, "id")
        assert channel_id is not None
        channel_type = _text(body, "type")
        if channel_type not in CHANNEL_TYPES:
            raise errors.invalid(f"Unknown channel type: {channel_type}", "type")
        address = _text(body, "address")
        assert address is not None
        check_address(address)
        channel_token = _text(body, "token", required=False)
        if channel_token is not None and len(channel_token) > MAX_TOKEN_LENGTH:
            raise errors.invalid("Channel token is too long.", "token")
        params = _params(body)
        expiration_ms = _expiration_ms(state, body, params)
        existing = state.channels.get(channel_id)
        if existing is not None and state.live_channel(existing):
            raise errors.ApiError(400, "channelIdNotUnique", f"Channel id {channel_id} not unique")
        events_path = request.url.path.removesuffix("/watch")
        resource_uri = f"{str(request.base_url).rstrip('/')}{events_path}?alt=json"
        channel = Channel(
            id=channel_id,
            resource_id=calendar.resource_id,
            resource_uri=resource_uri,
            calendar_id=calendar.id,
            owner_email=token.email,
            address=address,
            token=channel_token,
            expiration_ms=expiration_ms,
            params=params,
        )
        state.channels[channel_id] = channel
        emulator_of(request.app).notifier.publish(channel, "sync")
        return json_response(channel_resource(channel))


async def stop_channel(request: Request) -> Response:
    state = state_of(request)
    payload = await request.body()
    async with state.lock:
        token = authenticate(state, request, "calendar.channels.stop")
        body = parse_object(payload)
        channel_id = _text(body, "id")
        resource_id = _text(body, "resourceId")
        channel = state.channels.get(channel_id or "")
        if (
            channel is None
            or channel.resource_id != resource_id
            or channel.owner_email != token.email
            or not state.live_channel(channel)
        ):
            raise errors.ApiError(404, "notFound", f"Channel '{channel_id}' not found")
        del state.channels[channel.id]
        return Response(status_code=204)


routes = [
    ApiRoute("calendar.events.watch", watch_events),
    ApiRoute("calendar.channels.stop", stop_channel),
]
