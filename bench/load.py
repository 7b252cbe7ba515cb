"""The load: a fixed number of in-flight requests over keep-alive connections, a warm-up whose
results are thrown away, then a measured stretch of fixed duration.

Throughput is completed requests over the wall time from the first request to the last answer
(requests in flight at the deadline are waited for and counted). Latency is per request, from
just before sending to the whole response read. Server and client CPU are recorded so a reader
can tell a saturated server from a saturated load generator (both share this machine).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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
    server_cpu: float = 0.0  # cores used by the server process, on average
    client_cpu: float = 0.0  # cores used by this (load generator) process, on average

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
            "server_cpu_cores": round(self.server_cpu, 2),
            "client_cpu_cores": round(self.client_cpu, 2),
        }


async def measure(
    server: Server,
    send: Send,
    *,
    expect: int,
    concurrency: int,
    warmup_seconds: float,
    seconds: float,
) -> Phase:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=60) as client:
        await _drive(client, send, expect, concurrency, warmup_seconds, Phase())
        phase = Phase()
        server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
        await _drive(client, send, expect, concurrency, seconds, phase)
        phase.server_cpu = (server.cpu_seconds() - server_cpu) / phase.seconds
        phase.client_cpu = (time.process_time() - client_cpu) / phase.seconds
    return phase


async def _drive(
    client: httpx.AsyncClient,
    send: Send,
    expect: int,
    concurrency: int,
    seconds: float,
    phase: Phase,
) -> None:
    started = time.perf_counter()
    deadline = started + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            response = await send(client)
            elapsed_ms = (time.perf_counter() - sent) * 1000
            if response.status_code == expect:
                phase.latencies_ms.append(elapsed_ms)
            else:
                phase.errors += 1
                if phase.first_error is None:
                    phase.first_error = f"{response.status_code} {response.text[:300]}"

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    phase.seconds = time.perf_counter() - started
