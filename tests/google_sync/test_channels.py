"""Channels calbridge does not hold any more are stopped (CONTRACT §3.5: stopped when the link
goes): a channel whose watch answer was lost is stopped once its first notification arrives, a
channel opened for a calendar unlinked meanwhile is stopped at once, and deleting an account
stops its channels, those still waiting to be stopped included."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from starlette.types import ASGIApp, Receive, Scope, Send

from calbridge.account.models import Account
from calbridge.google import channels
from calbridge.google.mirror import GOOGLE_UNWATCH
from calbridge.google.models import GoogleCalendarSync
from calbridge.google.service import forget, revoke
from calbridge.outbox.models import OutboxJob
from calbridge.outbox.worker import Worker
from calbridge_google_emulator import GoogleEmulator
from tests.google.conftest import seed
from tests.google_sync.conftest import settle
from tests.google_sync.test_mirror import PUSH_ADDRESS
from tests.support.api import WorkspaceFixture
from tests.support.clock import Clock
from tests.support.databases import TestDatabase
from tests.support.google import AppTransport, pushing_emulator

WATCH = "/calendar/v3/calendars/primary/events/watch"


class WatchGate:
    """Holds events.watch calls until the test lets them through (``hold`` on)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.hold = app, False
        self.arrived, self.release = asyncio.Event(), asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.hold and scope["type"] == "http" and scope["path"] == WATCH:
            self.arrived.set()
            await self.release.wait()
        await self.app(scope, receive, send)


@pytest.fixture
def gate() -> WatchGate:
    return WatchGate(lambda scope, receive, send: None)  # type: ignore[arg-type,return-value]


@pytest.fixture
def emulator(to_app: AppTransport, gate: WatchGate) -> GoogleEmulator:
    emulator = pushing_emulator(to_app, (0.01, 0.02))
    gate.app = emulator.app
    emulator.app = gate  # type: ignore[assignment]  # calbridge's calls pass the gate
    return emulator


@pytest.fixture
def settings(settings: Any) -> Any:
    return settings.model_copy(update={"google_push_address": PUSH_ADDRESS})


async def link(ws: WorkspaceFixture, account: int) -> dict[str, Any]:
    return await ws.calendar(name="Watched", googleAccountId=account, googleCalendarId="primary")


async def state_of(test_db: TestDatabase, calendar_id: int) -> GoogleCalendarSync | None:
    async with test_db.database.session(write=False) as session:
        query = select(GoogleCalendarSync).where(GoogleCalendarSync.calendar_id == calendar_id)
        return await session.scalar(query)


async def unwatch_jobs(test_db: TestDatabase) -> list[OutboxJob]:
    async with test_db.database.session(write=False) as session:
        query = select(OutboxJob).where(OutboxJob.kind == GOOGLE_UNWATCH).order_by(OutboxJob.id)
        return list((await session.scalars(query)).all())


async def google_change(emulator: GoogleEmulator, google: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {emulator.issue_access_token()}"}
    await seed(google, headers, summary="Busy", start={"dateTime": "2027-01-04T10:00:00Z"},
               end={"dateTime": "2027-01-04T11:00:00Z"})  # fmt: skip
    await emulator.wait_for_notifications()


async def test_a_channel_whose_watch_answer_was_lost_is_stopped_when_it_notifies(
    test_db: TestDatabase,
    ws: WorkspaceFixture,
    account: int,
    wired: None,
    worker: Worker,
    clock: Clock,
    emulator: GoogleEmulator,
    google: httpx.AsyncClient,
) -> None:
    emulator.add_fault("drop_response", 1, method="POST", path_prefix=WATCH)
    calendar = await link(ws, account)
    await settle(worker)  # the watch ran twice: Google opened two channels, calbridge knows one
    state = await state_of(test_db, calendar["id"])
    assert state is not None and state.channel_id is not None
    [orphan] = [c for c in emulator.channels() if c["id"] != state.channel_id]

    await google_change(emulator, google)
    answers = [n for n in emulator.notifications() if n["resourceState"] == "exists"]
    assert sorted((n["channelId"] == orphan["id"], n["status"]) for n in answers) == [
        (False, 204),
        (True, 204),  # answered, not refused: Google would keep sending
    ]
    await google_change(emulator, google)  # a second message asks for no second stop
    [stop] = await unwatch_jobs(test_db)
    assert (stop.payload["channel_id"], stop.status) == (orphan["id"], "pending")
    clock.advance(seconds=channels.ORPHAN_GRACE_SECONDS + 1)
    await settle(worker)
    assert [c["id"] for c in emulator.channels()] == [state.channel_id]  # the orphan is stopped


async def test_a_forged_or_foreign_channel_is_refused(
    ws: WorkspaceFixture,
    account: int,
    wired: None,
    worker: Worker,
    client: httpx.AsyncClient,
    test_db: TestDatabase,
) -> None:
    await link(ws, account)
    await settle(worker)
    channel_id = channels.new_channel_id(account)
    headers = {
        "X-Goog-Channel-ID": channel_id,
        "X-Goog-Channel-Token": "guessed",
        "X-Goog-Resource-ID": "resource",
        "X-Goog-Resource-State": "exists",
    }
    response = await client.post("/google/notifications", headers=headers)
    assert response.status_code == 404, response.text
    foreign = {**headers, "X-Goog-Channel-ID": "someone-elses-channel"}
    response = await client.post("/google/notifications", headers=foreign)
    assert response.status_code == 404, response.text
    assert await unwatch_jobs(test_db) == []


async def test_a_channel_opened_for_a_calendar_unlinked_meanwhile_is_stopped_at_once(
    test_db: TestDatabase,
    ws: WorkspaceFixture,
    account: int,
    wired: None,
    worker: Worker,
    gate: WatchGate,
    emulator: GoogleEmulator,
) -> None:
    gate.hold = True
    calendar = await link(ws, account)
    running = asyncio.create_task(settle(worker))
    await gate.arrived.wait()  # the watch call is out
    response = await ws.delete(f"/calendars/{calendar['id']}", token="admin")
    assert response.status_code == 200, response.text
    gate.release.set()
    await running
    assert emulator.channels() == []
    assert await unwatch_jobs(test_db) == []  # stopped by the watch job itself


async def test_deleting_an_account_stops_its_channels_and_the_ones_waiting_to_stop(
    test_db: TestDatabase,
    ws: WorkspaceFixture,
    account: int,
    wired: None,
    worker: Worker,
    emulator: GoogleEmulator,
    google: httpx.AsyncClient,
    app: FastAPI,
) -> None:
    emulator.add_fault("drop_response", 1, method="POST", path_prefix=WATCH)
    await link(ws, account)
    await settle(worker)
    await google_change(emulator, google)  # the orphan's stop now waits out its grace
    assert len(emulator.channels()) == 2
    # As the admin panel deletes an account: forget the grant, delete, commit, then revoke.
    async with test_db.database.transaction() as session:
        row = await session.get(Account, account)
        assert row is not None
        revocation = await forget(session, row, gateway=app.state.services.google)
        await session.delete(row)
    assert await revoke(app.state.services.google, revocation)
    assert emulator.channels() == []
