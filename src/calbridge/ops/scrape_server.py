"""A ``/metrics`` listener inside ``calbridge worker``, so a worker running apart from ``serve``
can be scraped for its job, Google and webhook counters."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

STARTUP_POLL_SECONDS = 0.02


class _LeavesSignalsAlone(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The worker handles SIGTERM/SIGINT itself (finishing or giving back its jobs), and
        # stops this server when it is done.
        yield


class ScrapeServer:
    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, access_log=False, lifespan="off"
        )
        self._server = _LeavesSignalsAlone(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Returns once the port is listening (uvicorn exits the process if it cannot bind)."""
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started and not self._task.done():  # noqa: ASYNC110 (no event)
            await asyncio.sleep(STARTUP_POLL_SECONDS)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
