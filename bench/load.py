"""The load: a fixed number of in-flight requests over keep-alive connections, a warm-up whose
results are thrown away, then measured stretches of fixed duration (a ``Meter`` adds them up, so
app and floor can take turns and share the machine's good and bad moments).

Throughput is completed requests over the wall time from the first request to the last answer
(requests in flight at a deadline are waited for and counted). Latency is per request, from just
before sending to the whole response read. Server and client CPU are recorded so a reader can
tell a saturated server from a saturated load generator (both share this machine).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from bench.server import Server

Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


@dataclass
class Phase:
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    server_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]

    def cores(self, cpu_seconds: float) -> float:
        return cpu_seconds / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "first_error": self.first_error,
            "seconds": round(self.seconds, 3),
            "per_second": round(self.per_second, 1),
            "p50_ms": round(self.percentile(0.50), 2),
            "p90_ms": round(self.percentile(0.90), 2),
            "p99_ms": round(self.percentile(0.99), 2),
            "max_ms": round(max(self.latencies_ms, default=math.nan), 2),
            "server_cpu_cores": round(self.cores(self.server_cpu_seconds), 2),
            "client_cpu_cores": round(self.cores(self.client_cpu_seconds), 2),
        }


class Meter:
    """One kind of request against one server, measured in as many stretches as asked."""

    def __init__(self, server: Server, send: Send, *, expect: int, concurrency: int) -> None:
        self.server = server
        self.send = send
        self.expect = expect
        self.concurrency = concurrency
        self.phase = Phase()
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self.client = httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=60)

    async def __aenter__(self) -> Meter:
        await self.client.__aenter__()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.client.__aexit__(kind, error, traceback)

    async def warm_up(self, seconds: float) -> None:
        await self._drive(seconds, Phase())

    async def measure(self, seconds: float) -> None:
        server_cpu, client_cpu = self.server.cpu_seconds(), time.process_time()
        await self._drive(seconds, self.phase)
        self.phase.server_cpu_seconds += self.server.cpu_seconds() - server_cpu
        self.phase.client_cpu_seconds += time.process_time() - client_cpu

    async def _drive(self, seconds: float, phase: Phase) -> None:
        started = time.perf_counter()
        deadline = started + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    response = await self.send(self.client)
                except httpx.TransportError as error:  # no answer at all: a failure too
                    failure = f"{type(error).__name__}: {error}"
                else:
                    elapsed_ms = (time.perf_counter() - sent) * 1000
                    if response.status_code == self.expect:
                        phase.latencies_ms.append(elapsed_ms)
                        continue
                    failure = f"{response.status_code} {response.text[:300]}"
                phase.errors += 1
                if phase.first_error is None:
                    phase.first_error = failure

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        phase.seconds += time.perf_counter() - started
