"""Fault injection: the next N matching requests fail, stall, or lose their response, and
the next N push notifications get lost, doubled, delayed or reordered.

Request kinds (`Fault.kind`):

- `rate_limit_403`: 403 `rateLimitExceeded` (domain `usageLimits`), Calendar's usual throttle;
- `rate_limit_429`: 429 `rateLimitExceeded` (domain `usageLimits`), optional `Retry-After`;
- `backend_error_500`: 500 `backendError`;
- `unavailable_503`: 503 `backendError` ("The service is currently unavailable.");
- `latency`: wait `seconds`, then handle the request normally;
- `drop_response`: handle the request (the write happens), then cut the connection.

How a dropped response looks to a client: the emulator runs the request to completion,
throws its response away, sends only a `503` status line and headers that promise a body,
then raises `ResponseDropped`. Under uvicorn the connection closes before the body, so an
httpx client gets `httpx.RemoteProtocolError`. In process, `httpx.ASGITransport` re-raises
the exception itself, and `ResponseDropped` *is* an `httpx.RemoteProtocolError`, so client
code sees the same error either way. Nothing a client could take for a reply arrives.

A fault matches when its `method` (if set) equals the request's and the path starts with
its `path_prefix` (if set). Control paths (`/_emulator/...`) never match. Latency faults
apply in addition to at most one failing fault per request, each using up one count.

Notification kinds (used by `notifications.Notifier`, matched on `channel_id` if set; each
notification uses up one count of at most one of them):

- `notification_lost`: never delivered (its message number is used up, so the receiver sees
  a gap);
- `notification_duplicated`: delivered twice, same message number;
- `notification_delayed`: delivered `seconds` later; later messages may overtake it;
- `notification_reordered`: held back and delivered right after the channel's next message
  (or after `seconds`, default 1, if no next message comes).
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calbridge_google_emulator.errors import ApiError, api_error_response

NOTIFICATION_KINDS = ("notification_lost", "notification_duplicated", "notification_delayed",
                      "notification_reordered")  # fmt: skip
KINDS = ("rate_limit_403", "rate_limit_429", "backend_error_500", "unavailable_503", "latency",
         "drop_response", *NOTIFICATION_KINDS)  # fmt: skip
CONTROL_PREFIX = "/_emulator"


class ResponseDropped(httpx.RemoteProtocolError):
    """Raised by the emulator after a `drop_response` fault did the work and dropped the reply."""


@dataclass
class Fault:
    id: int
    kind: str
    remaining: int
    method: str | None = None
    path_prefix: str | None = None
    seconds: float = 0.0
    retry_after: int | None = None
    channel_id: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.kind in NOTIFICATION_KINDS:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            "id": data["id"],
            "kind": data["kind"],
            "remaining": data["remaining"],
            "method": data["method"],
            "pathPrefix": data["path_prefix"],
            "seconds": data["seconds"],
            "retryAfter": data["retry_after"],
            "channelId": data["channel_id"],
        }


class FaultRegistry:
    """Pending faults in the order they were added. Plain list access never awaits, so it is
    atomic under asyncio."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(
        self,
        kind: str,
        count: int = 1,
        method: str | None = None,
        path_prefix: str | None = None,
        seconds: float = 0.0,
        retry_after: int | None = None,
        channel_id: str | None = None,
    ) -> Fault:
        """Make the next `count` matching requests fail, or notifications misbehave; see the
        module's docstring for the kinds."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        fault = Fault(
            next(self._ids), kind, count, method, path_prefix, seconds, retry_after, channel_id
        )
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def take(self, method: str, path: str) -> tuple[float, Fault | None]:
        """Use up the matching faults for one request: total delay, and the failing fault."""
        delay, failing = 0.0, None
        for fault in list(self.faults):
            if not fault.matches(method, path):
                continue
            if fault.kind == "latency":
                delay += fault.seconds
            elif failing is None:
                failing = fault
            else:
                continue
            self._use(fault)
        return delay, failing

    def take_notification(self, channel_id: str) -> Fault | None:
        """Use up the first notification fault that matches a channel's next message."""
        for fault in self.faults:
            if fault.kind in NOTIFICATION_KINDS and fault.channel_id in (None, channel_id):
                self._use(fault)
                return fault
        return None

    def _use(self, fault: Fault) -> None:
        fault.remaining -= 1
        if fault.remaining <= 0:
            self.faults.remove(fault)


def fault_error(fault: Fault) -> ApiError:
    if fault.kind == "rate_limit_403":
        return ApiError(403, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits")
    if fault.kind == "rate_limit_429":
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        return ApiError(
            429, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits", headers=headers
        )
    if fault.kind == "backend_error_500":
        return ApiError(500, "backendError", "Backend Error")
    return ApiError(503, "backendError", "The service is currently unavailable.")


class FaultMiddleware:
    """ASGI middleware that applies the registry's faults to every non-control request."""

    def __init__(self, app: ASGIApp, registry: FaultRegistry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        delay, fault = self.registry.take(scope["method"], path)
        if delay:
            await asyncio.sleep(delay)
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.kind == "drop_response":
            await self._drop(scope, receive, send)
        else:
            await api_error_response(fault_error(fault))(scope, receive, send)

    async def _drop(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def discard(message: Message) -> None:
            return None

        await self.app(scope, receive, discard)
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
            }
        )
        raise ResponseDropped("Server disconnected without sending a response.")
