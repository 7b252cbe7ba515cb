"""CONTRACT §6: request ids (X-Request-ID) in responses, 5xx bodies and every log line of the
request and of its jobs; the log line formats; no OAuth code or state in the access log."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from calbridge.app import create_app
from calbridge.jobs import registry
from calbridge.outbox.models import OutboxJob
from calbridge.outbox.worker import Worker
from calbridge.services import Services
from calbridge.settings import Settings
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase
from tests.support.logs import capture_logs, leaks

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123", True),
        ("A.b_c-9" * 18 + "xx", True),  # 128 characters
        ("x" * 129, False),
        ("has space", False),
        ("semi;colon", False),
        ("", False),
    ],
)
async def test_a_valid_request_id_is_echoed_and_any_other_replaced(
    client: httpx.AsyncClient, sent: str, kept: bool
) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": sent})
    echoed = response.headers["X-Request-ID"]
    if kept:
        assert echoed == sent
    else:
        assert GENERATED.fullmatch(echoed), echoed


async def test_every_request_gets_its_own_id(client: httpx.AsyncClient) -> None:
    first = (await client.get("/healthz")).headers["X-Request-ID"]
    second = (await client.get("/healthz")).headers["X-Request-ID"]
    assert GENERATED.fullmatch(first)
    assert first != second


@pytest.fixture
async def failing_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async def explode() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/explode", explode, include_in_schema=False)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_a_500_names_its_request_id_in_body_header_and_log(
    failing_client: httpx.AsyncClient,
) -> None:
    with capture_logs() as logs:
        response = await failing_client.get("/explode", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["requestId"] == "abc-123"
    assert response.json()["code"] == "internal_error"
    assert response.headers["X-Request-ID"] == "abc-123"
    assert len(logs.matching("unhandled error")) == 1
    first_lines = [line.splitlines()[0] for line in logs.lines]
    assert all("[abc-123]" in line for line in first_lines), first_lines
    assert "RuntimeError: boom" in "\n".join(logs.lines)


async def test_a_4xx_has_no_request_id_in_its_body(ws: WorkspaceFixture) -> None:
    response = await ws.get("/calendars/999999", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 404
    assert "requestId" not in response.json()
    assert response.headers["X-Request-ID"] == "abc-123"


async def test_the_worker_logs_a_requests_jobs_under_its_id(
    test_db: TestDatabase, settings: Settings, ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar()
    with capture_logs() as logs:
        response = await ws.post(
            "/calendar-events",
            json={
                "calendarId": calendar["id"],
                "title": "Intro call",
                "startTime": "2026-04-13T09:00:00",
                "endTime": "2026-04-13T09:30:00",
            },
            headers={"X-Request-ID": "booking-42"},
        )
        assert response.status_code == 201, response.text
        await Worker(Services.build(settings, database=test_db.database), registry()).drain()
    async with test_db.database.session(write=False) as session:
        jobs = (await session.scalars(select(OutboxJob))).all()
    # Every line: the request's, and the worker's for its jobs (and the jobs those enqueued).
    assert all("[booking-42]" in line for line in logs.lines), logs.lines
    mine = [job for job in jobs if job.request_id == "booking-42"]
    assert len(mine) == len(jobs) >= 1, [(job.kind, job.request_id) for job in jobs]
    for job in mine:
        (line,) = logs.matching(f"job {job.id} {job.kind} attempt")
        assert "[booking-42]" in line
        assert ": done in " in line


def test_text_lines_have_a_utc_timestamp_level_logger_and_request_id() -> None:
    with capture_logs() as logs:
        logging.getLogger("calbridge.test").warning("hello %s", "there")
    (line,) = logs.lines
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARNING calbridge\.test \[-\] hello there", line
    ), line


async def test_json_lines_parse_and_carry_the_request_id(test_db: TestDatabase) -> None:
    settings = Settings(
        environment="test", database_url=test_db.url, database_schema=test_db.schema
    )
    app = create_app(settings, database=test_db.database)

    @app.get("/speak", include_in_schema=False)
    async def speak() -> dict[str, str]:
        logging.getLogger("calbridge.test").info("said", extra={"answer": 42})
        return {}

    transport = httpx.ASGITransport(app=app)
    with capture_logs(log_format="json") as logs:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/speak", headers={"X-Request-ID": "json-1"})
    records = [json.loads(line) for line in logs.lines]
    (said,) = [record for record in records if record["message"] == "said"]
    assert said["level"] == "INFO"
    assert said["logger"] == "calbridge.test"
    assert said["request_id"] == "json-1"
    assert said["answer"] == 42
    assert said["timestamp"].endswith("+00:00")


async def test_the_access_log_keeps_oauth_codes_and_states_out(app: FastAPI) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, lifespan="off", access_log=True)
    server = uvicorn.Server(config)
    with capture_logs(logging.INFO) as logs:
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        try:
            while not server.started:  # noqa: ASYNC110 (uvicorn has no event to wait on)
                await asyncio.sleep(0.01)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                await client.get(
                    "/google/oauth/callback?code=SECRETCODE42&state=SECRETSTATE42",
                    headers={"X-Request-ID": "cb-1"},
                )
                await client.get("/healthz?token=SECRETTOKEN42&page=2")
        finally:
            server.should_exit = True
            await serving
            listener.close()
    access = [line for line in logs.lines if " uvicorn.access " in line]
    assert len(access) == 2, logs.lines
    assert '"GET /google/oauth/callback HTTP/1.1"' in access[0]
    assert "[cb-1]" in access[0]
    assert "/healthz?token=%5Bredacted%5D&page=2" in access[1]
    assert not leaks(logs.lines, ["SECRETCODE42", "SECRETSTATE42", "SECRETTOKEN42"])
