"""Fixtures: calbridge wired to an in-process Google emulator (the API, the booking check and the
sync worker all reach it), a connected account, and a calendar linked to its primary calendar."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from calbridge.event.models import Event
from calbridge.google_sync.sync import PRIVATE_EVENT_ID, PRIVATE_WORKSPACE
from calbridge.google_sync.sync_tasks import GOOGLE_SYNC
from calbridge.jobs import registry
from calbridge.outbox.models import OutboxJob
from calbridge.outbox.worker import Worker
from calbridge.services import Services
from calbridge.settings import Settings
from calbridge_google_emulator import GoogleEmulator
from tests.google.conftest import connect, new_account
from tests.support import google as google_support
from tests.support.api import WorkspaceFixture
from tests.support.clock import Clock
from tests.support.databases import TestDatabase
from tests.support.google import AppTransport, google_settings, services_with_emulator

USER = "testuser@example.com"  # the emulator's test user; their primary calendar has this id

emulator = google_support.emulator
google = google_support.google


@pytest.fixture
def to_app() -> AppTransport:
    """Where an emulator made with ``pushing_emulator`` delivers: the app, once ``wired``."""
    return AppTransport()


@pytest.fixture
def wired(app: FastAPI, to_app: AppTransport) -> Iterator[None]:
    to_app.app = app
    yield
    to_app.app = None


@pytest.fixture
def settings(test_db: TestDatabase) -> Settings:
    return google_settings(
        test_db,
        # One attempt per call: the worker's retries are what these tests are about.
        google_request_retries=0,
        worker_poll_seconds=0.05,
        job_backoff_base_seconds=0.01,
        job_backoff_max_seconds=0.05,
    )


@pytest.fixture
def services(
    settings: Settings, test_db: TestDatabase, emulator: GoogleEmulator, clock: Clock
) -> Services:
    """One context for the app (the booking check) and the worker (the sync jobs): both reach
    the emulator, and both read the test's clock."""
    return services_with_emulator(settings, test_db, emulator, clock=clock)


@pytest.fixture
async def account(
    test_db: TestDatabase,
    ws: WorkspaceFixture,
    app: FastAPI,
    google: httpx.AsyncClient,
    client: httpx.AsyncClient,
) -> int:
    """An account of ``ws`` connected to the emulator's test user through the OAuth flow."""
    account_id = await new_account(test_db, ws)
    await connect(test_db, app, google, client, account_id)
    return account_id


@pytest.fixture
async def linked(ws: WorkspaceFixture, account: int) -> dict[str, Any]:
    """A calendar linked to the test user's primary Google calendar."""
    return await ws.calendar(name="Room A", googleAccountId=account, googleCalendarId="primary")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def worker(services: Services) -> Worker:
    return Worker(services, registry(), name="sync-test-worker")


@dataclass
class GoogleView:
    """What the emulator holds for the test user's primary calendar."""

    emulator: GoogleEmulator
    workspace_uuid: str

    def all(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.emulator.events(USER)
        return events

    def copy_of(self, event_id: int) -> dict[str, Any] | None:
        """The copy of our event (found by the ids it carries: its own id is random)."""
        wanted = {PRIVATE_EVENT_ID: str(event_id), PRIVATE_WORKSPACE: self.workspace_uuid}
        found = [
            item
            for item in self.all()
            if wanted.items() <= item.get("extendedProperties", {}).get("private", {}).items()
        ]
        assert len(found) <= 1
        return found[0] if found else None


@pytest.fixture
def in_google(emulator: GoogleEmulator, ws: WorkspaceFixture) -> GoogleView:
    return GoogleView(emulator, ws.uuid)


async def sync_jobs(test_db: TestDatabase, event_id: int | None = None) -> list[OutboxJob]:
    async with test_db.database.session(write=False) as session:
        query = select(OutboxJob).where(OutboxJob.kind == GOOGLE_SYNC).order_by(OutboxJob.id)
        jobs = list((await session.scalars(query)).all())
    return [j for j in jobs if event_id is None or j.payload["event_id"] == event_id]


async def stored_event(test_db: TestDatabase, event_id: int) -> Event | None:
    async with test_db.database.session(write=False) as session:
        return await session.get(Event, event_id)


async def settle(worker: Worker, *, timeout: float = 30) -> None:  # noqa: ASYNC109
    """Drain, and keep draining while a job waits out a short retry backoff (``drain`` alone
    returns once nothing is due *now*). Jobs waiting for a reconnect (a minute) are left."""
    async with asyncio.timeout(timeout):
        while True:
            await worker.drain(timeout)
            soon = worker.clock() + timedelta(seconds=5)
            async with worker.database.session(write=False) as session:
                waiting = await session.scalar(
                    select(OutboxJob.id).where(
                        OutboxJob.status == "pending", OutboxJob.run_after <= soon
                    )
                )
            if waiting is None:
                return
            await asyncio.sleep(0.02)
