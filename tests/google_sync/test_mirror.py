"""The mirror of a linked Google calendar (CONTRACT §3.5): a channel opened on link, renewed
and stopped; notifications checked and coalesced into one sync; incremental sync with a full
resync on 410; calbridge's own copies left out; the fallback poll when notifications are lost;
and googleConflictCheck answered from the mirror while Google is down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from calbridge.google.job_requests import GOOGLE_PULL
from calbridge.google.models import GoogleCalendarSync, GoogleMirrorEvent
from calbridge.google.service import disconnect
from calbridge.outbox.models import OutboxJob
from calbridge.outbox.worker import Worker
from calbridge.settings import Settings
from calbridge_google_emulator import GoogleEmulator
from tests.google.conftest import seed
from tests.google_sync.conftest import GoogleView, settle, sync_jobs
from tests.google_sync.test_conflicts import booking
from tests.support.api import WorkspaceFixture
from tests.support.clock import Clock
from tests.support.databases import TestDatabase
from tests.support.google import AppTransport, pushing_emulator

PUSH_ADDRESS = "http://127.0.0.1:8000/google/notifications"
POLL_SECONDS = 60.0


@pytest.fixture
def emulator(to_app: AppTransport) -> GoogleEmulator:
    return pushing_emulator(to_app, (0.01, 0.02))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, with push notifications to the app and a known poll interval."""
    return settings.model_copy(
        update={
            "google_push_address": PUSH_ADDRESS,
            "google_poll_seconds": POLL_SECONDS,
            "google_mirror_max_age_seconds": 10 * POLL_SECONDS,
        }
    )


@pytest.fixture
async def checked(ws: WorkspaceFixture, account: int, wired: None) -> dict[str, Any]:
    return await ws.calendar(
        name="Checked",
        googleAccountId=account,
        googleCalendarId="primary",
        googleConflictCheck=True,
    )


def at(start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {
        "summary": "Busy",
        "start": {"dateTime": f"2026-04-13T{start}:00+02:00"},
        "end": {"dateTime": f"2026-04-13T{end}:00+02:00"},
        **extra,
    }


@dataclass
class Scene:
    """A calendar with googleConflictCheck linked to the test user's primary calendar, with the
    worker that syncs it and the emulator as Google."""

    test_db: TestDatabase
    ws: WorkspaceFixture
    calendar: dict[str, Any]
    worker: Worker
    emulator: GoogleEmulator
    google: httpx.AsyncClient

    def user(self) -> dict[str, str]:
        """Headers of the test user at Google."""
        return {"Authorization": f"Bearer {self.emulator.issue_access_token()}"}

    async def google_change(self, **event: Any) -> dict[str, Any]:
        """The test user adds an event in Google; its notification is delivered and handled."""
        made = await seed(self.google, self.user(), **event)
        await self.emulator.wait_for_notifications()
        await settle(self.worker)
        return made

    def google_down(self) -> None:
        self.emulator.add_fault("unavailable_503", count=1000, path_prefix="/calendar/v3/")

    async def book(self, start: str, end: str) -> httpx.Response:
        return await self.ws.post("/calendar-events", json=booking(self.calendar["id"], start, end))

    async def assert_blocked(self, start: str, end: str) -> None:
        response = await self.book(start, end)
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "slot_conflict"

    async def state(self) -> GoogleCalendarSync | None:
        async with self.test_db.database.session(write=False) as session:
            return await session.scalar(
                select(GoogleCalendarSync).where(
                    GoogleCalendarSync.calendar_id == self.calendar["id"]
                )
            )

    async def mirrored(self) -> list[str]:
        async with self.test_db.database.session(write=False) as session:
            rows = await session.scalars(select(GoogleMirrorEvent.google_event_id))
            return sorted(rows.all())

    async def pull_jobs(self, status: str | None = None) -> list[OutboxJob]:
        async with self.test_db.database.session(write=False) as session:
            query = select(OutboxJob).where(OutboxJob.kind == GOOGLE_PULL)
            jobs = list((await session.scalars(query)).all())
        return [job for job in jobs if status is None or job.status == status]

    async def quiesce(self) -> None:
        """Until no notification is in flight and no job is due: restores cause notifications."""
        for _ in range(4):
            await self.emulator.wait_for_notifications()
            await settle(self.worker)


@pytest.fixture
def linked(
    test_db: TestDatabase,
    ws: WorkspaceFixture,
    checked: dict[str, Any],
    worker: Worker,
    emulator: GoogleEmulator,
    google: httpx.AsyncClient,
) -> Scene:
    """The linked calendar before the worker has run: no channel, no first sync yet."""
    return Scene(test_db, ws, checked, worker, emulator, google)


@pytest.fixture
async def scene(linked: Scene) -> Scene:
    """The linked calendar, its channel opened and its first sync done."""
    await settle(linked.worker)
    return linked


async def test_linking_opens_a_channel_and_syncs_the_calendar(linked: Scene) -> None:
    scene = linked
    before = await seed(scene.google, scene.user(), **at("08:00", "09:00"))
    await settle(scene.worker)

    [channel] = scene.emulator.channels()
    assert (channel["address"], channel["calendarId"]) == (PUSH_ADDRESS, "testuser@example.com")
    state = await scene.state()
    assert state is not None and state.sync_token is not None
    assert state.channel_id == channel["id"] and state.channel_token_hash is not None
    assert channel["token"] not in state.channel_token_hash  # kept only as a hash
    assert await scene.mirrored() == [before["id"]]
    await scene.emulator.wait_for_notifications()
    [sync_message] = scene.emulator.notifications()
    assert (sync_message["resourceState"], sync_message["status"]) == ("sync", 204)


async def test_a_google_event_blocks_the_slot_with_google_down_at_booking_time(
    scene: Scene,
) -> None:
    made = await scene.google_change(**at("10:00", "11:00"))
    assert await scene.mirrored() == [made["id"]]
    changes = [n for n in scene.emulator.notifications() if n["resourceState"] == "exists"]
    assert [n["status"] for n in changes] == [204]

    scene.google_down()
    await scene.assert_blocked("10:30", "11:30")
    response = await scene.book("11:00", "11:30")
    assert response.status_code == 201, response.text  # decided without Google


async def test_with_notifications_lost_the_poll_finds_the_event(scene: Scene, clock: Clock) -> None:
    scene.emulator.add_fault("notification_lost", count=10)
    made = await scene.google_change(**at("10:00", "11:00"))
    assert await scene.mirrored() == []  # nothing told calbridge
    await scene.worker.tick()
    await settle(scene.worker)
    assert await scene.mirrored() == []  # the poll is not due yet

    clock.advance(seconds=POLL_SECONDS)
    await scene.worker.tick()
    await settle(scene.worker)
    assert await scene.mirrored() == [made["id"]]
    scene.google_down()
    await scene.assert_blocked("10:30", "11:30")


async def test_a_stale_mirror_is_not_trusted(scene: Scene, settings: Settings) -> None:
    async with scene.test_db.database.transaction() as session:
        state = await session.scalar(select(GoogleCalendarSync))
        assert state is not None and state.synced_at is not None
        state.synced_at -= timedelta(seconds=settings.google_mirror_max_age_seconds + 1)
    scene.google_down()
    response = await scene.book("10:30", "11:30")
    assert response.status_code == 503, response.text  # asked Google live, which is down
    assert response.json()["code"] == "google_unavailable"


async def test_notifications_are_checked_and_coalesced(
    scene: Scene, client: httpx.AsyncClient
) -> None:
    [channel] = scene.emulator.channels()
    headers = {
        "X-Goog-Channel-ID": channel["id"],
        "X-Goog-Channel-Token": channel["token"],
        "X-Goog-Resource-ID": channel["resourceId"],
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": "7",
    }
    for _ in range(3):
        response = await client.post("/google/notifications", headers=headers)
        assert response.status_code == 204, response.text
        assert response.content == b""
    assert len(await scene.pull_jobs("pending")) == 1

    wrong = {**headers, "X-Goog-Channel-Token": channel["token"] + "x"}
    response = await client.post("/google/notifications", headers=wrong)
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "invalid_channel_token"
    unknown = {**headers, "X-Goog-Channel-ID": "no-such-channel"}
    response = await client.post("/google/notifications", headers=unknown)
    assert response.status_code == 404, response.text
    await settle(scene.worker)
    assert len(await scene.pull_jobs("pending")) == 0
    response = await client.post("/google/notifications", headers=headers)
    assert response.status_code == 204
    assert len(await scene.pull_jobs("pending")) == 1


async def test_incremental_sync_and_full_resync_on_410(scene: Scene) -> None:
    first = await scene.google_change(**at("08:00", "09:00"))
    second = await scene.google_change(**at("12:00", "13:00"))
    assert await scene.mirrored() == sorted([first["id"], second["id"]])

    scene.emulator.invalidate_sync_tokens()  # the next sync gets 410 fullSyncRequired
    response = await scene.google.delete(
        f"/calendar/v3/calendars/primary/events/{first['id']}", headers=scene.user()
    )
    assert response.status_code == 204
    await scene.emulator.wait_for_notifications()
    await settle(scene.worker)
    assert await scene.mirrored() == [second["id"]]
    assert [job.status for job in await scene.pull_jobs()] == ["done"] * 4


async def test_calbridge_copies_are_not_mirrored(scene: Scene) -> None:
    response = await scene.book("10:00", "11:00")
    assert response.status_code == 201, response.text
    await settle(scene.worker)  # pushes the copy; Google notifies; the pull sees the copy
    await scene.emulator.wait_for_notifications()
    await settle(scene.worker)
    assert [e["status"] for e in scene.emulator.events("testuser@example.com")] == ["confirmed"]
    assert await scene.mirrored() == []
    # So moving the booking over its copy's old slot is no conflict, with Google down.
    scene.google_down()
    path = f"/calendar-events/{response.json()['id']}"
    moved = await scene.ws.put(path, json={"endTime": "2026-04-13T11:30:00"})
    assert moved.status_code == 200, moved.text


async def test_unlinking_stops_the_channel_and_drops_the_mirror(scene: Scene) -> None:
    await scene.google_change(**at("10:00", "11:00"))
    response = await scene.ws.patch(
        f"/calendars/{scene.calendar['id']}",
        json={"googleConflictCheck": False, "googleAccountId": None, "googleCalendarId": None},
        token="admin",
    )
    assert response.status_code == 200, response.text
    assert await scene.state() is None
    assert await scene.mirrored() == []
    await settle(scene.worker)
    assert scene.emulator.channels() == []  # stopped


async def test_stopping_an_expired_channel_is_done(scene: Scene) -> None:
    [channel] = scene.emulator.channels()
    scene.emulator.expire_channel(channel["id"])
    response = await scene.ws.delete(f"/calendars/{scene.calendar['id']}", token="admin")
    assert response.status_code == 200, response.text
    await settle(scene.worker)
    async with scene.test_db.database.session(write=False) as session:
        jobs = (await session.scalars(select(OutboxJob))).all()
    assert {(job.kind, job.status) for job in jobs if job.kind == "google.unwatch"} == {
        ("google.unwatch", "done")
    }


async def test_a_channel_close_to_its_end_is_renewed(
    scene: Scene, clock: Clock, settings: Settings
) -> None:
    [old] = scene.emulator.channels()
    # Five minutes before the channel ends, the worker's schedule opens a new one.
    ttl, renew = settings.google_channel_ttl_seconds, settings.google_channel_renew_seconds
    clock.advance(seconds=ttl - renew + 300)
    await scene.worker.tick()
    await settle(scene.worker)
    [new] = scene.emulator.channels()
    assert new["id"] != old["id"]
    state = await scene.state()
    assert state is not None and state.channel_id == new["id"]
    made = await scene.google_change(**at("10:00", "11:00"))
    assert await scene.mirrored() == [made["id"]]


async def test_disconnecting_stops_the_channels_and_the_mirror_goes_stale(
    scene: Scene, account: int, app: FastAPI
) -> None:
    assert len(scene.emulator.channels()) == 1
    await disconnect(scene.test_db.database, account, gateway=app.state.services.google)
    assert scene.emulator.channels() == []
    state = await scene.state()
    assert state is not None and (state.channel_id, state.synced_at) == (None, None)
    response = await scene.book("10:30", "11:30")
    assert response.status_code == 503, response.text


async def test_slots_and_free_busy_show_the_google_event_with_google_down(scene: Scene) -> None:
    await scene.google_change(**at("10:00", "11:00"))
    scene.google_down()
    window = {"start": "2026-04-13T09:00:00", "end": "2026-04-13T13:00:00"}
    calendar_id = scene.calendar["id"]
    response = await scene.ws.get(
        f"/calendars/{calendar_id}/slots", params={**window, "duration": 60}
    )
    assert response.status_code == 200, response.text
    starts = [slot["start"][11:16] for slot in response.json()["slots"]]
    assert starts == ["09:00", "11:00", "12:00"]
    response = await scene.ws.post("/free-busy", json={"calendarIds": [calendar_id], **window})
    assert response.status_code == 200, response.text
    [busy] = response.json()["calendars"][str(calendar_id)]["busy"]
    assert (busy["start"][11:16], busy["end"][11:16]) == ("10:00", "11:00")


async def test_push_mode_undoes_changes_made_in_google_without_echo(
    scene: Scene, in_google: GoogleView
) -> None:
    response = await scene.book("09:00", "10:00")
    assert response.status_code == 201, response.text
    event = response.json()
    await scene.quiesce()
    jobs_of_event = len(await sync_jobs(scene.test_db, event["id"]))
    assert jobs_of_event == 1  # our own write came back: no echo

    copy = in_google.copy_of(event["id"])
    assert copy is not None
    path = f"/calendar/v3/calendars/primary/events/{copy['id']}"
    response = await scene.google.patch(
        path, headers=scene.user(), json={"summary": "Hijacked", **at("14:00", "15:00")}
    )
    assert response.status_code == 200, response.text
    await scene.quiesce()
    restored = in_google.copy_of(event["id"])
    assert restored is not None and restored["summary"] == "Call"
    assert restored["start"]["dateTime"].startswith("2026-04-13T09:00:00")
    assert len(await sync_jobs(scene.test_db, event["id"])) == 2  # one restore, then quiet

    response = await scene.google.delete(path, headers=scene.user())
    assert response.status_code == 204
    await scene.quiesce()
    back = in_google.copy_of(event["id"])
    assert back is not None and back["status"] == "confirmed"
    assert len(await sync_jobs(scene.test_db, event["id"])) == 3
    shown = (await scene.ws.get(f"/calendar-events/{event['id']}")).json()
    assert (shown["title"], shown["googleSyncStatus"]) == ("Call", "synced")


async def test_two_way_applies_google_changes_through_the_booking_rules(
    scene: Scene, in_google: GoogleView
) -> None:
    ws, calendar_id = scene.ws, scene.calendar["id"]
    monday = {"weekly": [{"day": "monday", "start": "08:00", "end": "18:00"}]}
    response = await ws.patch(
        f"/calendars/{calendar_id}", json={"googleSyncMode": "two_way", "availability": monday}
    )
    assert response.status_code == 200, response.text
    assert response.json()["googleSyncMode"] == "two_way"
    await settle(scene.worker)
    blocker = await scene.book("12:00", "13:00")
    assert blocker.status_code == 201, blocker.text
    created = await scene.book("09:00", "10:00")
    event_id = created.json()["id"]
    await scene.quiesce()
    copy = in_google.copy_of(event_id)
    assert copy is not None
    path = f"/calendar/v3/calendars/primary/events/{copy['id']}"

    async def in_google_move(start: str, end: str) -> None:
        moved = await scene.google.patch(
            path, headers=scene.user(), json={**at(start, end), "summary": "Call"}
        )
        assert moved.status_code == 200, moved.text
        await scene.quiesce()

    async def last_change() -> dict[str, Any]:
        items = (await ws.get(f"/calendar-events/{event_id}/history")).json()["items"]
        return dict(items[-1])

    await in_google_move("10:00", "11:00")  # free: applied
    shown = (await ws.get(f"/calendar-events/{event_id}")).json()
    assert shown["startTime"].startswith("2026-04-13T10:00:00")
    change = await last_change()
    assert (change["action"], change["source"], change["actor"]) == (
        "google_change_applied",
        "google",
        None,
    )
    assert set(change["changes"]) == {"startTime", "endTime"}

    for start, end, code in (
        ("12:30", "13:30", "slot_conflict"),
        ("19:00", "20:00", "outside_availability"),
    ):
        await in_google_move(start, end)
        shown = (await ws.get(f"/calendar-events/{event_id}")).json()
        assert shown["startTime"].startswith("2026-04-13T10:00:00")  # unchanged
        restored = in_google.copy_of(event_id)
        assert restored is not None
        assert restored["start"]["dateTime"].startswith("2026-04-13T10:00:00")  # put back
        change = await last_change()
        assert (change["action"], change["source"]) == ("google_change_refused", "google")
        assert change["changes"]["refusal"] == {"from": None, "to": code}

    deleted = await scene.google.delete(path, headers=scene.user())
    assert deleted.status_code == 204
    await scene.quiesce()
    shown = (await ws.get(f"/calendar-events/{event_id}")).json()
    assert shown["status"] == "cancelled"
    change = await last_change()
    assert (change["action"], change["source"]) == ("cancelled", "google")
    async with scene.test_db.database.session(write=False) as session:
        changed = (
            await session.scalars(select(OutboxJob).where(OutboxJob.kind == "event.changed"))
        ).all()
    cancels = [
        j
        for j in changed
        if j.payload["event_id"] == event_id and j.payload["change"] == "cancelled"
    ]
    assert len(cancels) == 1  # the event rules run once for it
    assert [c["status"] for c in [in_google.copy_of(event_id) or {}]] == ["cancelled"]


async def test_a_long_google_event_blocks_a_booking_late_inside_it(scene: Scene) -> None:
    # The busy query scans from "start minus the longest mirrored event"; it must be kept.
    await scene.google_change(**at("10:00", "11:00"))
    await scene.google_change(**at("06:00", "18:00"))
    scene.google_down()
    await scene.assert_blocked("16:00", "16:30")
