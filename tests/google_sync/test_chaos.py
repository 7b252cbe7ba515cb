"""Chaos: 300 bookings created, updated, cancelled and deleted while Google fails about 30% of
calls (rate limits, 5xx, lost responses) and the worker, in a process of its own, is SIGKILLed
and restarted again and again. Once the queue drains, Google holds exactly one copy of every live
booking, with its latest title and times; cancelled and deleted bookings have no live copy."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select
from starlette.types import Receive, Scope, Send

from calbridge.event.models import Event
from calbridge.google_sync.sync import PRIVATE_EVENT_ID, google_event_id
from calbridge.outbox.models import OutboxJob
from calbridge.services import Services
from calbridge.settings import Settings
from calbridge_google_emulator import GoogleEmulator
from tests.google_sync.conftest import USER
from tests.support.api import WorkspaceFixture

if TYPE_CHECKING:
    from tests.support.databases import TestDatabase

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BOOKINGS = 300
FAULT_RATE = 0.3
FAULTS = ("rate_limit_403", "rate_limit_429", "backend_error_500", "unavailable_503",
          "drop_response")  # fmt: skip
KILLS = 4


class Faulty:
    """The emulator, with ~30% of Calendar calls failing: each picked call gets a one-off fault
    of a random kind (through the emulator's own fault injection)."""

    def __init__(self, emulator: GoogleEmulator, rng: random.Random) -> None:
        self.emulator, self.rng = emulator, rng
        self.calls = self.faults = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/calendar/v3/"):
            self.calls += 1
            if self.rng.random() < FAULT_RATE:
                self.faults += 1
                kind = self.rng.choice(FAULTS)
                self.emulator.add_fault(kind, 1, method=scope["method"], path_prefix=scope["path"])
        await self.emulator.app(scope, receive, send)


async def wait_until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 (uvicorn offers no event to wait on)
            await asyncio.sleep(0.01)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def google_url(emulator: GoogleEmulator) -> AsyncIterator[tuple[str, Faulty]]:
    """The emulator (with faults) served over real HTTP by uvicorn in this event loop."""
    faulty = Faulty(emulator, random.Random(20260413))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(faulty, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started)
    yield f"http://127.0.0.1:{port}", faulty
    server.should_exit = True
    await task


@pytest.fixture
def settings(test_db: TestDatabase, google_url: tuple[str, Faulty]) -> Settings:
    return Settings(
        environment="test",
        database_url=test_db.url,
        database_schema=test_db.schema,
        google_base_url=google_url[0],
        google_client_id="calbridge-dev",
        google_client_secret="calbridge-dev-secret",
    )


@pytest.fixture
async def app(settings: Settings, test_db: TestDatabase) -> AsyncIterator[FastAPI]:
    from calbridge.app import create_app

    # Real HTTP (the settings' own gateway), so the token exchange meets the same server.
    services = Services.build(settings, database=test_db.database)
    yield create_app(services=services)
    await services.google.aclose()


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


async def test_chaos_ends_with_exactly_one_copy_of_every_live_booking(
    test_db: TestDatabase,
    ws: WorkspaceFixture,
    linked: dict[str, Any],
    google_url: tuple[str, Faulty],
    emulator: GoogleEmulator,
) -> None:
    rng = random.Random(7)
    workers = Workers(test_db, google_url[0])
    expected: dict[int, dict[str, Any] | None] = {}  # event id → latest state, None if gone
    base = datetime(2026, 5, 4, 0, 0)
    await workers.start()

    async def killer() -> None:
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(1.5, 3.0))
            await workers.kill()
            await workers.start()

    chaos = asyncio.create_task(killer())
    try:
        for n in range(BOOKINGS):
            start = base + timedelta(hours=n)
            body = {
                "calendarId": linked["id"],
                "title": f"Booking {n}",
                "startTime": start.isoformat(),
                "endTime": (start + timedelta(minutes=30)).isoformat(),
            }
            response = await ws.post("/calendar-events", json=body)
            assert response.status_code == 201, response.text
            event = response.json()
            for version in range(rng.randint(0, 3)):
                response = await ws.put(
                    f"/calendar-events/{event['id']}",
                    json={
                        "title": f"Booking {n} v{version + 1}",
                        "endTime": (start + timedelta(minutes=35 + 5 * version)).isoformat(),
                    },
                )
                assert response.status_code == 200, response.text
                event = response.json()
            fate = rng.random()
            if fate < 0.15:
                response = await ws.post(f"/calendar-events/{event['id']}/cancel", json={})
                assert response.status_code == 200, response.text
                event = None if response.json()["status"] == "cancelled" else event
            elif fate < 0.25:
                response = await ws.delete(f"/calendar-events/{event['id']}", token="admin")
                assert response.status_code == 200, response.text
                expected[event["id"]] = None
                continue
            expected[event["id"] if event else response.json()["id"]] = event
        await chaos
        async with asyncio.timeout(90):
            while await unfinished(test_db):  # noqa: ASYNC110 (polls the database)
                await asyncio.sleep(0.2)
    finally:
        chaos.cancel()
        await workers.kill()

    assert workers.started >= KILLS + 1
    assert google_url[1].faults >= 0.2 * google_url[1].calls  # the faults did happen
    async with test_db.database.session(write=False) as session:
        failed = (
            await session.scalars(select(OutboxJob).where(OutboxJob.status == "failed"))
        ).all()
        uids = {row.id: row.uid for row in await session.execute(select(Event.id, Event.uid))}
    assert [(job.kind, job.last_error) for job in failed] == []

    copies = emulator.events(USER)
    by_event: dict[str, list[dict[str, Any]]] = {}
    for copy in copies:
        by_event.setdefault(copy["extendedProperties"]["private"][PRIVATE_EVENT_ID], []).append(
            copy
        )
    assert [key for key, found in by_event.items() if len(found) > 1] == []  # no duplicates
    assert set(by_event) <= {str(event_id) for event_id in expected}  # nothing unknown
    missing, wrong, alive = [], [], []
    for event_id, state in expected.items():
        found = by_event.get(str(event_id), [])
        copy = found[0] if found else None
        if state is None:
            if copy is not None and copy["status"] != "cancelled":
                alive.append(event_id)
            continue
        if copy is None or copy["status"] != "confirmed":
            missing.append(event_id)
            continue
        assert copy["id"] == google_event_id(ws.uuid, event_id, uids[event_id])
        if (
            copy["summary"] != state["title"]
            or datetime.fromisoformat(copy["start"]["dateTime"])
            != datetime.fromisoformat(state["startTime"])
            or datetime.fromisoformat(copy["end"]["dateTime"])
            != datetime.fromisoformat(state["endTime"])
        ):
            wrong.append(event_id)
    assert (missing, wrong, alive) == ([], [], [])
    live = [event_id for event_id, state in expected.items() if state is not None]
    listed = await ws.get("/calendar-events", params={"pageSize": 100, "status": "confirmed"})
    assert listed.json()["total"] == len(live)
    for page in range(1, listed.json()["pages"] + 1):
        items = (
            await ws.get(
                "/calendar-events", params={"pageSize": 100, "status": "confirmed", "page": page}
            )
        ).json()["items"]
        assert {item["googleSyncStatus"] for item in items} == {"synced"}
