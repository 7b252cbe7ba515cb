"""``event.changed``: written by every booking change, fanned out to its subscribers."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.app import create_app
from calbridge.event import tasks as event_tasks
from calbridge.event.service import EVENT_CHANGED
from calbridge.outbox.registry import JobRegistry
from calbridge.outbox.service import enqueue
from calbridge.settings import Settings
from tests.outbox.conftest import MakeWorker, all_jobs, get_job
from tests.support.api import WorkspaceFixture, make_workspace

if TYPE_CHECKING:
    from tests.support.databases import TestDatabase

PAYLOAD = {
    "event_id": 7,
    "workspace_id": 3,
    "change": "updated",
    "before": {"title": "Intro"},
    "after": {"title": "Intro call"},
}


@pytest.fixture(autouse=True)
def event_jobs(jobs: JobRegistry) -> None:
    """The event domain's fan-out; the real subscribers (Google sync, event rules) are tested
    elsewhere, so here it sees only the kinds a test subscribes."""
    jobs.include(event_tasks.jobs())


@pytest.fixture
def subscribers(jobs: JobRegistry) -> list[str]:
    kinds = ["test.google.sync", "test.rules.run"]
    for kind in kinds:
        jobs.subscribe(EVENT_CHANGED, kind)
    return kinds


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


async def test_a_server_with_its_worker_carries_a_booking_to_the_subscribers(
    test_db: TestDatabase, settings: Settings, jobs: JobRegistry
) -> None:
    reached: list[dict[str, Any]] = []
    arrived = asyncio.Event()

    @jobs.handler("test.subscriber")
    async def note(session: AsyncSession, payload: dict[str, Any], _ctx: Any) -> None:
        reached.append(payload)
        arrived.set()

    jobs.subscribe(EVENT_CHANGED, "test.subscriber")
    app = create_app(settings, database=test_db.database, jobs=jobs, run_worker=True)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        ws = await make_workspace(test_db.database, client)
        calendar = await ws.calendar()
        created = await ws.event(calendar["id"])
        await asyncio.wait_for(arrived.wait(), 10)

    assert [(p["event_id"], p["change"]) for p in reached] == [(created["id"], "created")]
