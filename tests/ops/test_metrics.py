"""CONTRACT §6: /metrics in Prometheus text, by route template, outbox gauges read at scrape
time, the in-process worker's counts on its app's /metrics, and the optional bearer token."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.routing import Route

from calbridge.app import create_app
from calbridge.ops.metrics import route_template
from calbridge.outbox.models import OutboxJob
from calbridge.settings import Settings
from tests.support.api import WorkspaceFixture, make_workspace
from tests.support.databases import TestDatabase
from tests.support.metrics import scrape, value

CALENDARS = "/api/v2/w/{workspace_uuid}/calendars"
CALENDAR = "/api/v2/w/{workspace_uuid}/calendars/{calendar_id}"


async def test_requests_are_counted_and_timed_by_route_template(
    client: httpx.AsyncClient, ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar()
    assert (await ws.get(f"/calendars/{calendar['id']}")).status_code == 200
    assert (await ws.get("/calendars/999999")).status_code == 404
    assert (await client.get("/no/such/page")).status_code == 404

    samples = await scrape(client)
    requests = "calbridge_http_requests_total"
    assert value(samples, requests, method="POST", route=CALENDARS, status="201") == 1
    assert value(samples, requests, method="GET", route=CALENDAR, status="200") == 1
    assert value(samples, requests, method="GET", route=CALENDAR, status="404") == 1
    assert value(samples, requests, method="GET", route="unmatched", status="404") == 1
    routes = {dict(labels).get("route", "") for _, labels in samples}
    assert not [route for route in routes if str(calendar["id"]) in route.split("/")]
    timed = "calbridge_http_request_duration_seconds_count"
    assert value(samples, timed, route=CALENDAR) == 2


async def test_outbox_gauges_are_read_from_the_database_at_scrape_time(
    test_db: TestDatabase, client: httpx.AsyncClient, ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar()
    await ws.event(calendar["id"])
    async with test_db.database.session(write=False) as session:
        pending = await session.scalar(
            select(func.count()).where(OutboxJob.kind == "event.changed")
        )
    samples = await scrape(client)
    jobs = "calbridge_outbox_jobs"
    assert value(samples, jobs, kind="event.changed", status="pending") == pending == 1
    assert value(samples, jobs, kind="event.changed", status="failed") == 0
    assert value(samples, "calbridge_outbox_oldest_due_seconds") >= 0


async def test_the_in_process_workers_counts_show_on_its_apps_metrics(
    settings: Settings, test_db: TestDatabase
) -> None:
    app = create_app(
        settings.model_copy(update={"worker_poll_seconds": 0.05}),
        database=test_db.database,
        run_worker=True,
    )
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        ws = await make_workspace(test_db.database, client)
        await ws.event((await ws.calendar())["id"])
        finished = "calbridge_jobs_finished_total"
        async with asyncio.timeout(20):
            while not value(  # noqa: ASYNC110 (the worker offers no event to wait on)
                samples := await scrape(client), finished, kind="event.changed", outcome="done"
            ):
                await asyncio.sleep(0.05)
    assert value(samples, finished, kind="event.changed", outcome="done") == 1
    assert value(samples, "calbridge_outbox_jobs", kind="event.changed", status="done") == 1


async def test_two_apps_keep_their_own_counts(test_db: TestDatabase, settings: Settings) -> None:
    first, second = (create_app(settings, database=test_db.database) for _ in range(2))
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://a") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://b") as b,
    ):
        await a.get("/healthz")
        await a.get("/healthz")
        await b.get("/healthz")
        requests = "calbridge_http_requests_total"
        labels = {"method": "GET", "route": "/healthz", "status": "200"}
        assert value(await scrape(a), requests, **labels) == 2
        assert value(await scrape(b), requests, **labels) == 1


async def test_a_metrics_token_requires_its_bearer(
    test_db: TestDatabase, settings: Settings
) -> None:
    app: FastAPI = create_app(
        settings.model_copy(update={"metrics_token": "scrape-me-please"}),
        database=test_db.database,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "scrape-me"}):
            response = await client.get("/metrics", headers=headers)
            assert response.status_code == 401, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "unauthenticated"
            assert "calbridge_" not in response.text
        samples = await scrape(client, token="scrape-me-please")
    assert (
        value(
            samples, "calbridge_http_requests_total", method="GET", route="/metrics", status="401"
        )
        == 3
    )


def test_a_route_template_never_falls_back_to_the_raw_path() -> None:
    route = Route("/files/{name:path}", endpoint=lambda request: None)
    scope = {"route": route, "path": "/files/a/b.txt", "path_params": {"name": "a/b.txt"}}
    assert route_template(scope) == "/files/{name:path}"
    assert route_template({"path": "/nowhere"}) == "unmatched"
