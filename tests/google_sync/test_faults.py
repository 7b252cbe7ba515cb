"""What Google's failures do to the sync: rate limits and 5xx are retried until the event is
synced; a request Google refuses fails at once with its error kept; a lost response does not
make a second copy; a revoked grant makes the jobs wait until the account is reconnected."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI

from calbridge.outbox import repository
from calbridge.outbox.worker import Worker
from calbridge_google_emulator import GoogleEmulator
from tests.google.conftest import connect, connection_of
from tests.google_sync.conftest import USER, GoogleView, settle, sync_jobs
from tests.support.api import WorkspaceFixture
from tests.support.clock import Clock

if TYPE_CHECKING:
    from tests.support.databases import TestDatabase

CALENDAR_API = "/calendar/v3/"


@pytest.mark.parametrize("fault", ["rate_limit_403", "rate_limit_429", "backend_error_500"])
async def test_rate_limits_and_server_errors_are_retried_until_synced(
    fault: str,
    test_db: TestDatabase,
    ws: WorkspaceFixture,
    linked: dict[str, Any],
    worker: Worker,
    emulator: GoogleEmulator,
    in_google: GoogleView,
) -> None:
    await settle(worker)  # the link's first sync of the mirror, before Google misbehaves
    emulator.add_fault(fault, count=2, path_prefix=CALENDAR_API)
    event = await ws.event(linked["id"])

    await settle(worker)

    [copy] = in_google.all()
    assert copy["status"] == "confirmed"
    [job] = await sync_jobs(test_db, event["id"])
    assert (job.status, job.attempts) == ("done", 3)  # two failed attempts, then the push
    shown = (await ws.get(f"/calendar-events/{event['id']}")).json()
    assert (shown["googleSyncStatus"], shown["googleEventId"]) == ("synced", copy["id"])


async def test_a_request_google_refuses_fails_at_once_with_its_error(
    test_db: TestDatabase,
    ws: WorkspaceFixture,
    account: int,
    worker: Worker,
    in_google: GoogleView,
) -> None:
    calendar = await ws.calendar(googleAccountId=account, googleCalendarId="nosuch@example.com")
    event = await ws.event(calendar["id"])

    await settle(worker)

    [job] = await sync_jobs(test_db, event["id"])
    assert (job.status, job.attempts) == ("failed", 1)
    assert job.last_error is not None and "404 notFound" in job.last_error
    async with test_db.database.session(write=False) as session:  # `calbridge jobs list --failed`
        failed = await repository.list_jobs(session, failed_only=True)
    # The mirror's sync of the calendar Google does not know fails visibly too.
    assert sorted((j.kind, j.id == job.id) for j in failed) == [
        ("google.pull", False),
        ("google.sync", True),
    ]
    shown = (await ws.get(f"/calendar-events/{event['id']}")).json()
    assert (shown["googleSyncStatus"], shown["googleEventId"]) == ("failed", None)
    assert in_google.all() == []


async def test_a_lost_response_to_an_insert_leaves_exactly_one_copy(
    test_db: TestDatabase,
    ws: WorkspaceFixture,
    linked: dict[str, Any],
    worker: Worker,
    emulator: GoogleEmulator,
    in_google: GoogleView,
) -> None:
    emulator.add_fault("drop_response", count=1, method="POST", path_prefix=CALENDAR_API)
    event = await ws.event(linked["id"], title="Once")

    await settle(worker)

    [copy] = in_google.all()
    assert copy["summary"] == "Once"
    [job] = await sync_jobs(test_db, event["id"])
    assert (job.status, job.attempts) == ("done", 2)
    shown = (await ws.get(f"/calendar-events/{event['id']}")).json()
    assert shown["googleSyncStatus"] == "synced"


async def test_a_revoked_grant_makes_jobs_wait_until_reconnected(
    test_db: TestDatabase,
    ws: WorkspaceFixture,
    app: FastAPI,
    google: httpx.AsyncClient,
    client: httpx.AsyncClient,
    account: int,
    linked: dict[str, Any],
    worker: Worker,
    clock: Clock,
    emulator: GoogleEmulator,
    in_google: GoogleView,
) -> None:
    emulator.revoke(email=USER)
    first = await ws.event(linked["id"], title="First")
    await settle(worker)  # finds out: invalid_grant
    second = await ws.event(
        linked["id"], title="Second", startTime="2026-04-13T10:00:00", endTime="2026-04-13T11:00:00"
    )
    clock.advance(minutes=5)  # long enough for the first job to look again
    await settle(worker)

    connection = await connection_of(test_db, account)
    assert connection is not None and connection.status == "broken"
    jobs = await sync_jobs(test_db)
    assert [(job.status, job.attempts) for job in jobs] == [("pending", 0), ("pending", 0)]
    assert all((job.last_error or "").startswith("waiting: ") for job in jobs)
    for event in (first, second):
        shown = (await ws.get(f"/calendar-events/{event['id']}")).json()
        assert shown["googleSyncStatus"] == "pending"
    assert in_google.all() == []

    await connect(test_db, app, google, client, account)  # Reconnect in the admin panel
    clock.advance(minutes=5)
    await settle(worker)

    assert {job.status for job in await sync_jobs(test_db)} == {"done"}
    assert sorted(copy["summary"] for copy in in_google.all()) == ["First", "Second"]
    for event in (first, second):
        shown = (await ws.get(f"/calendar-events/{event['id']}")).json()
        assert shown["googleSyncStatus"] == "synced"
