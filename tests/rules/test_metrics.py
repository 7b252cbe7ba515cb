"""/metrics counts a booking, its jobs, and a webhook the receiver refuses (CONTRACT §6)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from calbridge.jobs import registry
from calbridge.outbox.worker import Worker
from calbridge.services import Services
from tests.rules.conftest import Receiver, make_rule
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase
from tests.support.metrics import scrape, value

EVENTS = "/api/v2/w/{workspace_uuid}/calendar-events"


async def test_a_booking_and_a_failing_webhook_move_the_counters(
    test_db: TestDatabase,
    app: FastAPI,
    client: httpx.AsyncClient,
    ws: WorkspaceFixture,
    receiver: Receiver,
    services: Services,
) -> None:
    receiver.default = 500
    calendar = await ws.calendar()
    await make_rule(ws, actions=[{"type": "webhook", "url": receiver.url}])
    before = await scrape(client)
    await ws.event(calendar["id"])
    worker = Worker(services, registry(), metrics=app.state.metrics)
    await worker.drain()
    after = await scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert len(receiver.requests) == 1
    booked = {"method": "POST", "route": EVENTS, "status": "201"}
    assert moved("calbridge_http_requests_total", **booked) == 1
    assert moved("calbridge_webhook_deliveries_total", outcome="failed") == 1
    assert moved("calbridge_webhook_deliveries_total", outcome="succeeded") == 0
    assert moved("calbridge_jobs_finished_total", kind="event.changed", outcome="done") == 1
    # The delivery job is done (its attempt is recorded); the next attempt is a new job.
    assert moved("calbridge_outbox_jobs", kind="rules.action", status="pending") == 1
