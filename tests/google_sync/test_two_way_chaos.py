"""Chaos on the Google side (issue 14, acceptance 4): 200 bookings in a ``two_way`` calendar
(their copies made undisturbed: ``test_chaos`` is the push side's chaos), then 200 edits made in
Google itself (foreign events created, moved and deleted; booking copies moved, renamed and
deleted) while about 30% of calbridge's Google calls fail, push notifications are lost, doubled,
delayed and reordered, channels expire (short-lived ones renewed on schedule, one ended early by
Google) and the worker, in a process of its own, is SIGKILLed three times.

After quiescence: the mirror equals Google's foreign events; every booking equals its copy; each
edited copy got the outcome the booking rules give it (applied, or refused with its code and the
copy put back, or the booking cancelled), recorded once; and there is no echo: one ``google.sync``
per edited copy, Google written at most once per change (plus the writes faults and kills
repeat), and nothing more once it is quiet."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from calbridge.google.job_requests import GOOGLE_PULL, GOOGLE_WATCH
from calbridge.google.mirror import GOOGLE_UNWATCH
from calbridge.google.models import GoogleCalendarSync, GoogleMirrorEvent
from calbridge.google_sync.sync import PRIVATE_EVENT_ID
from calbridge.google_sync.sync_tasks import GOOGLE_SYNC
from calbridge.outbox.models import OutboxJob
from calbridge.services import Services
from calbridge.settings import Settings
from calbridge_google_emulator import GoogleEmulator
from calbridge_google_emulator.faults import ResponseDropped
from tests.google.conftest import EVENTS
from tests.google_sync.chaos import (
    FAULT_RATE,
    Faulty,
    Workers,
    faulty_google,
    settings_for,
    unfinished,
)
from tests.google_sync.conftest import USER
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase
from tests.support.google import AppTransport, pushing_emulator

pytestmark = pytest.mark.slow

BOOKINGS = 200
COPY_EDITS = 80  # of the bookings' copies, one edit each; the other bookings are anchors
FOREIGN_EDITS = 120  # events calbridge did not make: created, moved, deleted
KILLS = 3
FIRST_DAY = date(2027, 3, 1)  # a Monday
HOURS = range(8, 17)  # a booking HH:00-HH:30 on each, weekdays; availability 08-18 UTC
PUSH_ADDRESS = "http://127.0.0.1:8000/google/notifications"
NOTIFICATION_FAULTS = ("notification_lost", "notification_duplicated", "notification_delayed",
                       "notification_reordered")  # fmt: skip
WORKER_ENV = {
    "CALBRIDGE_GOOGLE_PUSH_ADDRESS": PUSH_ADDRESS,
    "CALBRIDGE_GOOGLE_POLL_SECONDS": "2",  # the fallback when notifications are lost
    "CALBRIDGE_WORKER_SCHEDULE_SECONDS": "0.5",
    "CALBRIDGE_GOOGLE_CHANNEL_TTL_SECONDS": "8",  # channels end during the run...
    "CALBRIDGE_GOOGLE_CHANNEL_RENEW_SECONDS": "3",  # ...and are renewed before they do
}


@pytest.fixture
def emulator(to_app: AppTransport) -> GoogleEmulator:
    """Notifications go to the calbridge app of this test, in process."""
    return pushing_emulator(to_app, (0.05, 0.1))


@pytest.fixture
async def google_url(emulator: GoogleEmulator) -> AsyncIterator[tuple[str, Faulty]]:
    """The emulator (with faults) over real HTTP, for the worker process and the app. Its calls
    fail only once the bookings' copies are made (the test sets ``rate`` then)."""
    async with faulty_google(emulator, seed=20270301, rate=0.0) as served:
        yield served
    await emulator.aclose()


@pytest.fixture
def settings(test_db: TestDatabase, google_url: tuple[str, Faulty]) -> Settings:
    return settings_for(test_db, google_url[0])


@pytest.fixture
async def app(
    settings: Settings, test_db: TestDatabase, to_app: AppTransport, emulator: GoogleEmulator
) -> AsyncIterator[FastAPI]:
    from calbridge.app import create_app

    services = Services.build(settings, database=test_db.database)  # real HTTP to Google
    application = create_app(services=services)
    to_app.app = application
    yield application
    await emulator.aclose()  # no delivery may outlive the app
    to_app.app = None
    await services.google.aclose()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def wire(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.isoformat().replace("+00:00", "Z")}


def weekday(n: int) -> date:
    """The n-th weekday from FIRST_DAY."""
    weeks, day = divmod(n, 5)
    return FIRST_DAY + timedelta(days=7 * weeks + day)


@dataclass
class Expected:
    """What a booking should end as: its fields, and its history's last Google row."""

    title: str
    start_at: datetime
    end_at: datetime
    status: str = "confirmed"
    outcome: str | None = None  # google_change_applied | google_change_refused | cancelled
    refusal: str | None = None


@dataclass
class Edits:
    """The test user's hand in Google (straight to the emulator: these calls get no faults)."""

    google: httpx.AsyncClient
    headers: dict[str, str]
    rng: random.Random
    foreign: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → body as sent
    made: int = 0

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> None:
        for _ in range(20):
            try:
                response = await self.google.request(method, path, json=body, headers=self.headers)
            except ResponseDropped:
                continue  # a fault meant for the worker's call landed here; the write happened
            if response.status_code in (200, 204, 409) or (
                method == "DELETE" and response.status_code == 410
            ):
                return
            assert response.status_code in (403, 429, 500, 503), response.text
        raise AssertionError(f"{method} {path} kept failing")

    def churn_time(self) -> dict[str, Any]:
        """Evenings (18-20 UTC, outside availability and clear of every booking) or a weekend
        day all day; some shown as free."""
        day = weekday(self.rng.randrange(BOOKINGS // len(HOURS)))
        if self.rng.random() < 0.15:
            saturday = day + timedelta(days=5 - day.weekday())
            times = {"start": {"date": saturday.isoformat()},
                     "end": {"date": (saturday + timedelta(days=1)).isoformat()}}  # fmt: skip
        else:
            start = at(day, 18) + timedelta(minutes=self.rng.randrange(0, 90, 5))
            end = start + timedelta(minutes=self.rng.choice((15, 20, 30)))
            times = {"start": wire(start), "end": wire(end)}
        free = self.rng.random() < 0.2
        return {**times, "transparency": "transparent" if free else "opaque"}

    async def foreign_edit(self) -> None:
        kind = self.rng.choice(("create", "create", "move", "delete")) if self.foreign else "create"
        if kind == "create":
            self.made += 1
            google_id = f"chaos{self.made:05d}"  # base32hex: a retried insert finds it (409)
            body = {"id": google_id, "summary": "Elsewhere", **self.churn_time()}
            await self.call("POST", EVENTS, body)
            self.foreign[google_id] = body
            return
        google_id = self.rng.choice(sorted(self.foreign))
        if kind == "move":
            await self.call("PATCH", f"{EVENTS}/{google_id}", self.churn_time())
        else:
            await self.call("DELETE", f"{EVENTS}/{google_id}")
            del self.foreign[google_id]


async def copy_edit(
    edits: Edits, copy: dict[str, Any], expected: Expected, anchors: list[Expected]
) -> None:
    """One edit of a booking's copy, and what the booking rules make of it."""
    path = f"{EVENTS}/{copy['id']}"
    day, start = expected.start_at.date(), expected.start_at
    kind = edits.rng.choices(
        ("move_free", "rename", "onto_booking", "onto_google", "outside", "delete"),
        weights=(30, 15, 15, 10, 10, 20),
    )[0]
    if kind == "delete":
        await edits.call("DELETE", path)
        expected.status, expected.outcome = "cancelled", "cancelled"
        return
    if kind == "rename":
        expected.title = f"{expected.title} (renamed in Google)"
        await edits.call("PATCH", path, {"summary": expected.title})
        expected.outcome = "google_change_applied"
        return
    target, refusal = {
        "move_free": ((start + timedelta(minutes=30), start + timedelta(minutes=55)), None),
        "onto_google": ((at(day, 17), at(day, 17, 30)), "slot_conflict"),
        "outside": ((at(day, 21), at(day, 21, 30)), "outside_availability"),
        "onto_booking": (_anchor_slot(edits.rng, anchors), "slot_conflict"),
    }[kind]
    await edits.call("PATCH", path, {"start": wire(target[0]), "end": wire(target[1])})
    if refusal is None:
        expected.start_at, expected.end_at = target
        expected.outcome = "google_change_applied"
    else:
        expected.outcome, expected.refusal = "google_change_refused", refusal


def _anchor_slot(rng: random.Random, anchors: list[Expected]) -> tuple[datetime, datetime]:
    anchor = rng.choice(anchors)
    return anchor.start_at, anchor.end_at


async def sync_state(test_db: TestDatabase) -> GoogleCalendarSync:
    async with test_db.database.session(write=False) as session:
        state = await session.scalar(select(GoogleCalendarSync))
    assert state is not None
    return state


async def jobs_after(test_db: TestDatabase, first_id: int) -> list[OutboxJob]:
    async with test_db.database.session(write=False) as session:
        query = select(OutboxJob).where(OutboxJob.id >= first_id).order_by(OutboxJob.id)
        return list((await session.scalars(query)).all())


async def next_job_id(test_db: TestDatabase) -> int:
    async with test_db.database.session(write=False) as session:
        return int(await session.scalar(select(func.coalesce(func.max(OutboxJob.id), 0)))) + 1


async def quiet(test_db: TestDatabase, emulator: GoogleEmulator, pulls: int = 1) -> None:
    """Until ``pulls`` pulls asked for after now (by a notification or the poll) have run and
    nothing is left to do or to deliver: whatever was lost, the poll has seen the last change."""
    first = await next_job_id(test_db)
    async with asyncio.timeout(90):
        while True:
            await emulator.wait_for_notifications()
            done = [j for j in await jobs_after(test_db, first) if j.kind == GOOGLE_PULL]
            if sum(j.status == "done" for j in done) >= pulls and not await unfinished(test_db):
                return
            await asyncio.sleep(0.1)


def instant(value: dict[str, Any]) -> datetime:
    if "date" in value:
        return datetime.fromisoformat(value["date"]).replace(tzinfo=UTC)
    return datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00")).astimezone(UTC)


async def test_google_side_chaos_ends_with_mirror_and_bookings_equal_to_google(
    test_db: TestDatabase,
    ws: WorkspaceFixture,
    account: int,
    google_url: tuple[str, Faulty],
    emulator: GoogleEmulator,
    google: httpx.AsyncClient,
) -> None:
    rng = random.Random(14)
    faulty = google_url[1]
    edits = Edits(google, {"Authorization": f"Bearer {emulator.issue_access_token()}"}, rng)
    days = [weekday(n) for n in range(BOOKINGS // len(HOURS) + 1)]
    for n, day in enumerate(days):  # busy in Google from the start: 17:00-17:45 each day
        body = {"id": f"block{n:05d}", "summary": "Blocked", "start": wire(at(day, 17)),
                "end": wire(at(day, 17, 45))}  # fmt: skip
        await edits.call("POST", EVENTS, body)

    workers = Workers(test_db, google_url[0], env=WORKER_ENV)
    try:
        weekdays = [
            {"day": name, "start": "08:00", "end": "18:00"}
            for name in ("monday", "tuesday", "wednesday", "thursday", "friday")
        ]
        calendar = await ws.calendar(
            name="Two-way",
            timezone="UTC",
            googleAccountId=account,
            googleCalendarId="primary",
            googleConflictCheck=True,
            googleSyncMode="two_way",
            availability={"weekly": weekdays},
        )
        expected: dict[int, Expected] = {}
        for n in range(BOOKINGS):
            start = at(days[n // len(HOURS)], HOURS[n % len(HOURS)])
            body = {"calendarId": calendar["id"], "title": f"Booking {n}",
                    "startTime": start.isoformat(),
                    "endTime": (start + timedelta(minutes=30)).isoformat()}  # fmt: skip
            response = await ws.post("/calendar-events", json=body)
            assert response.status_code == 201, response.text  # Google asked live: no mirror yet
            expected[response.json()["id"]] = Expected(
                f"Booking {n}", start, start + timedelta(minutes=30)
            )
        await workers.start()  # the channel, the first sync and the copies
        await quiet(test_db, emulator)
        copies = {
            int(item["extendedProperties"]["private"][PRIVATE_EVENT_ID]): item
            for item in emulator.events(USER)
            if "extendedProperties" in item
        }
        assert set(copies) == set(expected)

        # Google-side edits, with notification faults, an early-ended channel and three kills.
        first_job, writes_before = await next_job_id(test_db), faulty.writes
        faulty.rate, calls_before = FAULT_RATE, faulty.calls
        edited = rng.sample(sorted(expected), COPY_EDITS)
        anchors = [expected[e] for e in expected if e not in edited]
        plan = [("copy", event_id) for event_id in edited] + [("foreign", 0)] * FOREIGN_EDITS
        rng.shuffle(plan)
        kill_at = {len(plan) * k // (KILLS + 1) for k in range(1, KILLS + 1)}
        expire_at = len(plan) // 2 + 7
        for index, (what, event_id) in enumerate(plan):
            if index in kill_at:
                await workers.kill()
                await workers.start()
            if index == expire_at:
                state = await sync_state(test_db)
                assert state.channel_id is not None
                assert emulator.expire_channel(state.channel_id)  # Google ends it early
            if rng.random() < FAULT_RATE:
                kind = rng.choice(NOTIFICATION_FAULTS)
                emulator.add_fault(kind, 1, seconds=rng.uniform(0.2, 1.5))
            if what == "copy":
                await copy_edit(edits, copies[event_id], expected[event_id], anchors)
            else:
                await edits.foreign_edit()
            await asyncio.sleep(rng.uniform(0, 0.05))
        assert workers.started == KILLS + 1
        await quiet(test_db, emulator)
        edit_jobs = await jobs_after(test_db, first_job)
        writes = faulty.writes - writes_before

        # Nothing echoes: more polls and their notifications change nothing.
        await quiet(test_db, emulator, pulls=2)
        after = await jobs_after(test_db, first_job)
        renewals = (GOOGLE_PULL, GOOGLE_WATCH, GOOGLE_UNWATCH)
        assert [j.kind for j in after[len(edit_jobs) :] if j.kind not in renewals] == []
        assert faulty.writes - writes_before == writes
    finally:
        await workers.kill()

    assert faulty.faults >= 0.2 * (faulty.calls - calls_before)  # the faults did happen
    notifications = emulator.notifications()
    outcomes = {n["outcome"] for n in notifications}
    assert {"lost", "delivered"} <= outcomes
    assert len({n["channelId"] for n in notifications}) >= 3  # renewed, and ended early
    assert [(j.kind, j.last_error) for j in after if j.status == "failed"] == []

    # The mirror equals Google's foreign events.
    google_now = emulator.events(USER)
    foreign = {
        item["id"]: (
            instant(item["start"]),
            instant(item["end"]),
            item.get("transparency", "opaque"),
        )
        for item in google_now
        if "extendedProperties" not in item and item["status"] != "cancelled"
    }
    assert set(foreign) == set(edits.foreign) | {f"block{n:05d}" for n in range(len(days))}
    async with test_db.database.session(write=False) as session:
        rows = (await session.scalars(select(GoogleMirrorEvent))).all()
    assert {row.google_event_id: (row.start_at, row.end_at, row.transparency) for row in rows} == (
        foreign
    )

    # Every booking equals its copy, and is what the booking rules made of its edit.
    by_event = {
        int(item["extendedProperties"]["private"][PRIVATE_EVENT_ID]): item
        for item in google_now
        if "extendedProperties" in item
    }
    syncs = [j.payload["event_id"] for j in edit_jobs if j.kind == GOOGLE_SYNC]
    assert sorted(syncs) == sorted(edited)  # one Google write per edited copy, none for the rest
    assert writes <= COPY_EDITS + faulty.dropped_writes + KILLS
    mismatches = []
    for event_id, want in expected.items():
        shown = (await ws.get(f"/calendar-events/{event_id}")).json()
        copy = by_event[event_id]
        history = (await ws.get(f"/calendar-events/{event_id}/history")).json()["items"]
        google_rows = [(h["action"], h["changes"].get("refusal", {}).get("to")) for h in history
                       if h["source"] == "google"]  # fmt: skip
        got = (
            shown["title"],
            datetime.fromisoformat(shown["startTime"]),
            datetime.fromisoformat(shown["endTime"]),
            shown["status"],
            google_rows,
        )
        wanted_rows = [] if want.outcome is None else [(want.outcome, want.refusal)]
        if got != (want.title, want.start_at, want.end_at, want.status, wanted_rows):
            mismatches.append((event_id, got, want))
        if want.status == "cancelled":
            if copy["status"] != "cancelled":
                mismatches.append((event_id, "copy alive", copy["status"]))
        elif (copy["status"], copy["summary"], instant(copy["start"]), instant(copy["end"])) != (
            "confirmed",
            want.title,
            want.start_at,
            want.end_at,
        ):
            mismatches.append((event_id, "copy differs", copy))
    assert mismatches == []
    cancels = [
        j.payload["event_id"]
        for j in edit_jobs
        if j.kind == "event.changed" and j.payload["change"] == "cancelled"
    ]
    assert sorted(cancels) == sorted(e for e, w in expected.items() if w.status == "cancelled")
