"""Push notification delivery for `events.watch` channels, as Google sends them.

Each message is an HTTP POST with an empty body to the channel's address, carrying Google's
headers (`X-Goog-Channel-ID`, `X-Goog-Channel-Token` when the channel has one,
`X-Goog-Channel-Expiration` in RFC 1123, `X-Goog-Resource-ID`, `X-Goog-Resource-URI`,
`X-Goog-Resource-State` and `X-Goog-Message-Number`, which grows by one per message of a
channel, `sync` being 1).

`publish` only queues: delivery runs in background tasks, so an API call never waits for a
receiver. Messages of one channel go out one at a time in message-number order (one worker
task per channel, ending when its queue is empty), unless a notification fault says
otherwise. A message whose channel has been stopped or has expired by the time it would be
sent is not sent. Like Google, a 500/502/503/504 answer or a connection failure is retried
with exponential backoff (`retry_delays`); any other answer is final.

Every attempt is written to `log` (newest last), which the control API and tests read.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Coroutine
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

import httpx

from calbridge_google_emulator.faults import FaultRegistry
from calbridge_google_emulator.state import Channel, EmulatorState
from calbridge_google_emulator.times import format_timestamp

RETRIED_STATUSES = frozenset({500, 502, 503, 504})
DEFAULT_RETRY_DELAYS = (0.5, 1.0, 2.0)
DEFAULT_REORDER_HOLD = 1.0
LOG_SIZE = 10_000
USER_AGENT = "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)"


@dataclass(frozen=True)
class Notification:
    channel: Channel
    number: int
    resource_state: str

    def headers(self) -> dict[str, str]:
        channel = self.channel
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "User-Agent": USER_AGENT,
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Channel-Expiration": formatdate(channel.expiration_ms / 1000, usegmt=True),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-URI": channel.resource_uri,
            "X-Goog-Resource-State": self.resource_state,
            "X-Goog-Message-Number": str(self.number),
        }
        if channel.token is not None:
            headers["X-Goog-Channel-Token"] = channel.token
        return headers


class Notifier:
    """Queues, fault-shapes and delivers the notifications of every channel."""

    def __init__(
        self,
        state: EmulatorState,
        faults: FaultRegistry,
        http: httpx.AsyncClient | None = None,
        retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
    ) -> None:
        self.state = state
        self.faults = faults
        self.retry_delays = retry_delays
        self.log: collections.deque[dict[str, Any]] = collections.deque(maxlen=LOG_SIZE)
        self._http = http
        self._own_http = http is None
        self._queues: dict[Channel, collections.deque[Notification]] = {}
        self._workers: dict[Channel, asyncio.Task[None]] = {}
        self._held: dict[Channel, list[Notification]] = {}
        self._hold_timers: dict[Channel, list[asyncio.Task[None]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def calendar_changed(self, calendar_id: str) -> None:
        """An event of the calendar changed: `exists` to every live channel watching it."""
        for channel in list(self.state.channels.values()):
            if channel.calendar_id == calendar_id and self.state.live_channel(channel):
                self.publish(channel, "exists")

    def publish(self, channel: Channel, resource_state: str) -> None:
        """Number the channel's next message and queue it (or lose, double, delay, hold it)."""
        message = Notification(channel, channel.next_message_number(), resource_state)
        fault = self.faults.take_notification(channel.id)
        kind = fault.kind if fault is not None else None
        if kind == "notification_lost":
            self._record(message, outcome="lost")
            return
        if kind == "notification_reordered":
            assert fault is not None
            self._held.setdefault(channel, []).append(message)
            timer = self._spawn(self._release_later(channel, fault.seconds or DEFAULT_REORDER_HOLD))
            self._hold_timers.setdefault(channel, []).append(timer)
            return
        if kind == "notification_delayed":
            assert fault is not None
            self._spawn(self._enqueue_later(message, fault.seconds))
        else:
            self._enqueue(message)
            if kind == "notification_duplicated":
                self._enqueue(message)
        self._release(channel)

    async def idle(self) -> None:
        """Wait until nothing is queued, held, delayed or being sent."""
        while pending := self._pending():
            await asyncio.gather(*pending, return_exceptions=True)

    async def aclose(self) -> None:
        """Drop everything pending and close the HTTP client the notifier made."""
        pending = self._pending()
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._workers.clear()
        self._queues.clear()
        self._held.clear()
        self._hold_timers.clear()
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    def _pending(self) -> set[asyncio.Task[None]]:
        tasks = self._tasks | set(self._workers.values())
        return {task for task in tasks if not task.done()}

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _enqueue(self, message: Notification) -> None:
        channel = message.channel
        self._queues.setdefault(channel, collections.deque()).append(message)
        worker = self._workers.get(channel)
        if worker is None or worker.done():
            self._workers[channel] = asyncio.get_running_loop().create_task(self._drain(channel))

    def _release(self, channel: Channel) -> None:
        """Held (reordered) messages go out after the message just queued."""
        for timer in self._hold_timers.pop(channel, []):
            if timer is not asyncio.current_task():
                timer.cancel()
        for message in self._held.pop(channel, []):
            self._enqueue(message)

    async def _release_later(self, channel: Channel, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._release(channel)

    async def _enqueue_later(self, message: Notification, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._enqueue(message)

    async def _drain(self, channel: Channel) -> None:
        # No await between the last emptiness check and returning, so `_enqueue` never
        # appends to a queue whose worker has already decided to stop.
        queue = self._queues[channel]
        while queue:
            await self._send(queue.popleft())
        del self._queues[channel]
        del self._workers[channel]

    async def _send(self, message: Notification) -> None:
        for delay in (0.0, *self.retry_delays):
            if delay:
                await asyncio.sleep(delay)
            if not self.state.live_channel(message.channel):
                self._record(message, outcome="channel_gone")
                return
            try:
                response = await self._client().post(
                    message.channel.address, headers=message.headers(), content=b""
                )
            except httpx.HTTPError as exc:
                self._record(message, outcome="error", error=type(exc).__name__)
                continue
            self._record(message, outcome="delivered", status=response.status_code)
            if response.status_code not in RETRIED_STATUSES:
                return

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            # trust_env=False: a proxy from the environment must not carry loopback traffic.
            self._http = httpx.AsyncClient(timeout=10.0, trust_env=False)
        return self._http

    def _record(
        self,
        message: Notification,
        outcome: str,
        status: int | None = None,
        error: str | None = None,
    ) -> None:
        self.log.append(
            {
                "at": format_timestamp(self.state.clock.now()),
                "channelId": message.channel.id,
                "address": message.channel.address,
                "messageNumber": message.number,
                "resourceState": message.resource_state,
                "outcome": outcome,
                "status": status,
                "error": error,
            }
        )
