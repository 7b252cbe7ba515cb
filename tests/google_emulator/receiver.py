"""A push-notification receiver for the emulator tests: the emulator delivers through an
`httpx.MockTransport` whose handler is `Receiver.handle`, so no socket is needed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

WATCH = "/calendar/v3/calendars/primary/events/watch"
STOP = "/calendar/v3/channels/stop"
HOOK = "http://127.0.0.1:8999/hook"


@dataclass(frozen=True)
class Received:
    address: str
    channel_id: str
    resource_state: str
    number: int
    headers: httpx.Headers
    body: bytes


class Receiver:
    """Records every notification; `answers` (popped first) set the status of the next ones,
    `gate`, when set, holds every delivery until it opens; `arrived` is set by the first."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answers: list[int] = []
        self.gate: asyncio.Event | None = None
        self.arrived = asyncio.Event()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.arrived.set()
        if self.gate is not None:
            await self.gate.wait()
        headers = request.headers
        self.received.append(
            Received(
                str(request.url),
                headers["x-goog-channel-id"],
                headers["x-goog-resource-state"],
                int(headers["x-goog-message-number"]),
                headers,
                request.content,
            )
        )
        return httpx.Response(self.answers.pop(0) if self.answers else 200)

    def messages(self, channel_id: str | None = None) -> list[tuple[str, int]]:
        """(resource state, message number) of each message, in arrival order."""
        return [
            (r.resource_state, r.number)
            for r in self.received
            if channel_id in (None, r.channel_id)
        ]


def watch_body(channel_id: str = "chan-1", **extra: object) -> dict[str, object]:
    return {"id": channel_id, "type": "web_hook", "address": HOOK, "token": "tok-1", **extra}
