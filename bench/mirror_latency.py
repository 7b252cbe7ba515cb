"""Notification → mirror latency (issue 14, acceptance 2's "within 2 s"), part of
``python -m bench.mirror``.

Per database, in one process: the Google emulator (in process), the calbridge app receiving its
push notifications at ``POST /google/notifications`` (in process, through ``httpx.ASGITransport``),
and one outbox worker running as in production (``Worker.start``: woken by commits in this
process on SQLite, by LISTEN/NOTIFY on PostgreSQL, else polling every ``POLL`` seconds). A
calendar is linked the ordinary way (its channel and first sync are the worker's jobs). Then, one
at a time, the test user creates an event in Google; the sample is the time from Google's answer
to that insert until the event's row is in the mirror (read every 2 ms). The fallback poll is
set to an hour, so every sample was carried by its notification: Google → notification → pull
job enqueued → worker woken → events.list → mirror committed.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bench import databases
from bench.google import TOKEN, setup
from calbridge.app import create_app
from calbridge.calendar.models import Calendar
from calbridge.google import links
from calbridge.google.gateway import GoogleGateway
from calbridge.google.models import GoogleCalendarSync, GoogleMirrorEvent
from calbridge.jobs import registry
from calbridge.outbox.worker import Worker
from calbridge.services import Services
from calbridge.settings import Settings
from calbridge_google_emulator import GoogleEmulator

GOOGLE = "http://google.test"
PUSH_ADDRESS = "http://127.0.0.1:8000/google/notifications"
POLL = 1.0  # the worker's poll interval: a missed wake-up would show as a sample near 1 s
EVENTS = "/calendar/v3/calendars/primary/events"


async def _until(condition: Any, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while not await condition():  # noqa: ASYNC110 (polls the database)
            await asyncio.sleep(0.002)


async def measure_latency(kind: str, directory: Path, samples: int) -> dict[str, Any]:
    bench_db = await databases.create(kind, directory, "latency")
    settings = Settings(
        environment="test",
        database_url=bench_db.url,
        database_schema=bench_db.schema,
        google_base_url=GOOGLE,
        google_client_id="calbridge-dev",
        google_client_secret="calbridge-dev-secret",
        google_push_address=PUSH_ADDRESS,
        google_poll_seconds=3600.0,
        worker_poll_seconds=POLL,
    )
    database = bench_db.connect()
    app_transport: httpx.AsyncBaseTransport | None = None

    class ToApp(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            assert app_transport is not None
            return await app_transport.handle_async_request(request)

    emulator = GoogleEmulator(notification_http=httpx.AsyncClient(transport=ToApp()))
    emulator.issue_access_token(TOKEN)
    gateway = GoogleGateway(settings, transport=httpx.ASGITransport(app=emulator.app))
    services = Services.build(settings, database=database, google=gateway)
    app = create_app(services=services)
    app_transport = httpx.ASGITransport(app=app)
    worker = Worker(services, registry(), name="bench-latency")
    try:
        _, calendar_id = await setup(database, settings)
        async with database.transaction() as session:
            calendar = await session.get(Calendar, calendar_id)
            assert calendar is not None
            await links.link_changed(session, calendar)  # a channel and the first sync
        worker.start()

        async def watched() -> bool:
            async with database.session(write=False) as session:
                state = await session.scalar(select(GoogleCalendarSync))
            return state is not None and None not in (state.channel_id, state.synced_at)

        await _until(watched)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        latencies: list[float] = []
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=emulator.app), base_url=GOOGLE
        ) as google:
            for n in range(samples):
                body = {
                    "summary": "Busy",
                    "start": {"dateTime": f"2027-01-{1 + n % 28:02d}T10:00:00Z"},
                    "end": {"dateTime": f"2027-01-{1 + n % 28:02d}T11:00:00Z"},
                }
                response = await google.post(EVENTS, json=body, headers=headers)
                response.raise_for_status()
                changed = time.perf_counter()
                google_id = response.json()["id"]

                async def mirrored(google_id: str = google_id) -> bool:
                    async with database.session(write=False) as session:
                        found = await session.scalar(
                            select(GoogleMirrorEvent.id).where(
                                GoogleMirrorEvent.google_event_id == google_id
                            )
                        )
                    return found is not None

                await _until(mirrored)
                latencies.append((time.perf_counter() - changed) * 1000)
                await asyncio.sleep(0.05)
        ordered = sorted(latencies)
        return {
            "samples": len(ordered),
            "p50_ms": round(statistics.median(ordered), 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))], 1),
            "max_ms": round(ordered[-1], 1),
            "over_2s": sum(value > 2000 for value in ordered),
            "delivered": sum(n["outcome"] == "delivered" for n in emulator.notifications()),
        }
    finally:
        await worker.stop(grace=5)
        await emulator.aclose()
        await gateway.aclose()
        await database.dispose()
        await databases.drop(bench_db)
