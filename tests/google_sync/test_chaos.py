"""Chaos: 300 bookings created, updated, cancelled and deleted while Google fails about 30% of
calls (rate limits, 5xx, lost responses) and the worker, in a process of its own, is SIGKILLed
and restarted again and again. Once the queue drains, Google holds exactly one copy of every live
booking, with its latest title and times; cancelled and deleted bookings have no live copy."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from calbridge.event.models import Event
from calbridge.google_sync.sync import PRIVATE_EVENT_ID, google_event_id
from calbridge.outbox.models import OutboxJob
from calbridge.services import Services
from calbridge.settings import Settings
from calbridge_google_emulator import GoogleEmulator
from tests.google_sync.chaos import Faulty, Workers, faulty_google, settings_for, unfinished
from tests.google_sync.conftest import USER
from tests.support.api import WorkspaceFixture

if TYPE_CHECKING:
    from tests.support.databases import TestDatabase

pytestmark = pytest.mark.slow

BOOKINGS = 300
KILLS = 4


@pytest.fixture
async def google_url(emulator: GoogleEmulator) -> AsyncIterator[tuple[str, Faulty]]:
    """The emulator (with faults) served over real HTTP by uvicorn in this event loop."""
    async with faulty_google(emulator, seed=20260413) as served:
        yield served


@pytest.fixture
def settings(test_db: TestDatabase, google_url: tuple[str, Faulty]) -> Settings:
    return settings_for(test_db, google_url[0])


@pytest.fixture
async def app(settings: Settings, test_db: TestDatabase) -> AsyncIterator[FastAPI]:
    from calbridge.app import create_app

    # Real HTTP (the settings' own gateway), so the token exchange meets the same server.
    services = Services.build(settings, database=test_db.database)
    yield create_app(services=services)
    await services.google.aclose()


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
