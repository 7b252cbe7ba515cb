"""/metrics counts the sync's calls to Google, by operation and outcome (CONTRACT §6)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from calbridge.google_sync.sync_tasks import GOOGLE_SYNC
from calbridge.jobs import registry
from calbridge.outbox.worker import Worker
from calbridge.settings import Settings
from calbridge_google_emulator import GoogleEmulator
from tests.google_sync.conftest import GoogleView, settle
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase
from tests.support.metrics import scrape, value

GOOGLE_REQUESTS = "calbridge_google_requests_total"


async def test_syncing_a_booking_counts_googles_answers(
    test_db: TestDatabase,
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    ws: WorkspaceFixture,
    linked: dict[str, Any],
    emulator: GoogleEmulator,
    in_google: GoogleView,
) -> None:
    before = await scrape(client)
    emulator.add_fault("unavailable_503", count=1, method="POST", path_prefix="/calendar/v3/")
    event = await ws.event(linked["id"])
    worker = Worker(app.state.services, registry(), metrics=app.state.metrics)
    await settle(worker)
    after = await scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert in_google.copy_of(event["id"]) is not None
    assert moved(GOOGLE_REQUESTS, operation="events.insert", outcome="unavailable") == 1
    assert moved(GOOGLE_REQUESTS, operation="events.insert", outcome="ok") == 1
    assert moved("calbridge_jobs_finished_total", kind=GOOGLE_SYNC, outcome="retry") == 1
    assert moved("calbridge_jobs_finished_total", kind=GOOGLE_SYNC, outcome="done") == 1
    # Connecting the account (before) went through the token endpoint.
    assert value(before, GOOGLE_REQUESTS, operation="oauth.token", outcome="ok") >= 1
