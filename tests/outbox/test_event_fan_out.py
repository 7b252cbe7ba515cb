"""``event.changed``: written by every booking change, fanned out to its subscribers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from calbridge.event.service import EVENT_CHANGED
from calbridge.outbox.service import enqueue, subscribe, unsubscribe
from tests.outbox.conftest import MakeWorker, all_jobs, get_job
from tests.support.api import WorkspaceFixture

if TYPE_CHECKING:
    from tests.support.databases import TestDatabase

PAYLOAD = {
    "event_id": 7,
    "workspace_id": 3,
    "change": "updated",
    "before": {"title": "Intro"},
    "after": {"title": "Intro call"},
}


@pytest.fixture
def subscribers() -> Iterator[list[str]]:
    kinds = ["test.google.sync", "test.rules.run"]
    for kind in kinds:
        subscribe(EVENT_CHANGED, kind)
    yield kinds
    for kind in kinds:
        unsubscribe(EVENT_CHANGED, kind)


async def test_event_changed_enqueues_one_job_per_subscriber(
    test_db: TestDatabase, make_worker: MakeWorker, subscribers: list[str]
) -> None:
    async with test_db.database.transaction() as session:
        source = await enqueue(session, EVENT_CHANGED, ordering_key="event:7", **PAYLOAD)

    assert await make_worker().run_once() == 1

    assert (await get_job(test_db, source.id)).status == "done"
    fanned = [job for job in await all_jobs(test_db) if job.id != source.id]
    assert [(job.kind, job.ordering_key, job.status) for job in fanned] == [
        ("test.google.sync", "test.google.sync:event:7", "pending"),
        ("test.rules.run", "test.rules.run:event:7", "pending"),
    ]
    assert all(job.payload == PAYLOAD for job in fanned)


async def test_event_changed_without_subscribers_succeeds_doing_nothing(
    test_db: TestDatabase, make_worker: MakeWorker
) -> None:
    async with test_db.database.transaction() as session:
        await enqueue(session, EVENT_CHANGED, ordering_key="event:7", **PAYLOAD)

    await make_worker().drain(timeout=5)

    assert [(job.kind, job.status) for job in await all_jobs(test_db)] == [(EVENT_CHANGED, "done")]


async def test_a_booking_leaves_one_event_changed_job(
    test_db: TestDatabase, ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar()
    created = await ws.event(calendar["id"])

    jobs = [job for job in await all_jobs(test_db) if job.kind == EVENT_CHANGED]
    assert len(jobs) == 1
    assert jobs[0].status == "pending"
    assert jobs[0].ordering_key == f"event:{created['id']}"
    assert jobs[0].payload["event_id"] == created["id"]
    assert jobs[0].payload["change"] == "created"
