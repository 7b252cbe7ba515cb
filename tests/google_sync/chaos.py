"""What the two chaos tests share (``test_chaos``: the push side; ``test_two_way_chaos``: the
Google side): the emulator with a share of calbridge's Calendar calls failing, served over real
HTTP so that a worker in a process of its own reaches it, and that worker killed and started
again."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import select
from starlette.types import Receive, Scope, Send

from calbridge.outbox.models import OutboxJob
from calbridge.settings import Settings
from calbridge_google_emulator import GoogleEmulator
from tests.support.databases import TestDatabase
from tests.support.live import live_server

ROOT = Path(__file__).resolve().parents[2]
FAULT_RATE = 0.3
FAULTS = ("rate_limit_403", "rate_limit_429", "backend_error_500", "unavailable_503",
          "drop_response")  # fmt: skip


class Faulty:
    """The emulator with a share (``rate``) of Calendar calls failing: each picked call gets a
    one-off fault of a random kind (through the emulator's own fault injection). Counts the
    calls, the faults and the event writes that reached Google (a dropped response's write did)."""

    def __init__(
        self, emulator: GoogleEmulator, rng: random.Random, rate: float = FAULT_RATE
    ) -> None:
        self.emulator, self.rng, self.rate = emulator, rng, rate
        self.calls = self.faults = self.writes = self.dropped_writes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/calendar/v3/"):
            self.calls += 1
            kind = None
            if self.rng.random() < self.rate:
                self.faults += 1
                kind = self.rng.choice(FAULTS)
                self.emulator.add_fault(kind, 1, method=scope["method"], path_prefix=scope["path"])
            path = scope["path"]
            if scope["method"] != "GET" and "/events" in path and not path.endswith("/watch"):
                self.writes += kind in (None, "drop_response")
                self.dropped_writes += kind == "drop_response"
        await self.emulator.app(scope, receive, send)


@asynccontextmanager
async def faulty_google(
    emulator: GoogleEmulator, seed: int, rate: float = FAULT_RATE
) -> AsyncIterator[tuple[str, Faulty]]:
    """The emulator with faults, over real HTTP from this event loop: its URL and the faults."""
    faulty = Faulty(emulator, random.Random(seed), rate)
    async with live_server(faulty) as url:
        yield url, faulty


def settings_for(test_db: TestDatabase, google_url: str) -> Settings:
    """The app's settings: the test database, and Google at ``google_url`` over real HTTP."""
    return Settings(
        environment="test",
        database_url=test_db.url,
        database_schema=test_db.schema,
        google_base_url=google_url,
        google_client_id="calbridge-dev",
        google_client_secret="calbridge-dev-secret",
    )


class Workers:
    """One worker process at a time, killed with SIGKILL and started again on demand."""

    def __init__(
        self, test_db: TestDatabase, google: str, env: dict[str, str] | None = None
    ) -> None:
        self.test_db, self.google = test_db, google
        self.env = {**os.environ, **(env or {})}  # settings beyond the defaults (CALBRIDGE_*)
        self.process: asyncio.subprocess.Process | None = None
        self.started = 0

    async def start(self) -> None:
        self.started += 1
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.google_sync.worker_process",
            self.test_db.url,
            self.test_db.schema or "",
            self.google,
            f"chaos-{self.started}",
            cwd=ROOT,
            env=self.env,
        )

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            os.kill(self.process.pid, signal.SIGKILL)
            await self.process.wait()
        self.process = None


async def unfinished(test_db: TestDatabase) -> int:
    async with test_db.database.session(write=False) as session:
        ids = await session.scalars(
            select(OutboxJob.id).where(OutboxJob.status.in_(("pending", "running")))
        )
        return len(ids.all())
