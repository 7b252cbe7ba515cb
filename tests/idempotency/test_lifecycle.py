"""Idempotency-Key over time: server errors are not kept, keys expire, a running twin blocks."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from tests.idempotency.conftest import app_with, key, row_counts, workspace_on

if TYPE_CHECKING:
    from tests.support.databases import TestDatabase

REPLAYED = "Idempotent-Replayed"


def _add_flaky_route(app: FastAPI, failures: list[int | Exception]) -> list[int]:
    """A POST route that fails in the given ways first, then answers 201; returns its call log."""
    calls: list[int] = []

    @app.post("/flaky", status_code=201)
    async def flaky() -> JSONResponse:
        calls.append(len(calls) + 1)
        if failures:
            failure = failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return JSONResponse({"attempt": len(calls)}, status_code=failure)
        return JSONResponse({"attempt": len(calls)}, status_code=201)

    return calls


async def test_a_server_error_is_not_stored(test_db: TestDatabase) -> None:
    app = app_with(test_db)
    calls = _add_flaky_route(app, [503])
    async with workspace_on(test_db, app) as ws:
        headers = {**ws.headers("all"), **key("retry-me")}

        failed = await ws.client.post("/flaky", headers=headers, json={})
        retried = await ws.client.post("/flaky", headers=headers, json={})
        replayed = await ws.client.post("/flaky", headers=headers, json={})

    assert failed.status_code == 503
    assert retried.status_code == 201
    assert REPLAYED not in retried.headers
    assert replayed.status_code == 201
    assert replayed.headers[REPLAYED] == "true"
    assert replayed.json() == retried.json() == {"attempt": 2}
    assert calls == [1, 2]


async def test_a_crashed_request_is_not_stored(test_db: TestDatabase) -> None:
    app = app_with(test_db)
    calls = _add_flaky_route(app, [RuntimeError("boom")])
    async with workspace_on(test_db, app, raise_app_exceptions=False) as ws:
        headers = {**ws.headers("all"), **key("crash")}

        crashed = await ws.client.post("/flaky", headers=headers, json={})
        retried = await ws.client.post("/flaky", headers=headers, json={})

    assert crashed.status_code == 500
    assert retried.status_code == 201
    assert REPLAYED not in retried.headers
    assert calls == [1, 2]


async def test_an_expired_key_runs_again(test_db: TestDatabase) -> None:
    # A TTL of zero: every stored key is already older than the TTL when it is next seen.
    app = app_with(test_db, idempotency_ttl_seconds=0)
    async with workspace_on(test_db, app) as ws:
        calendar = await ws.calendar(allowOverlap=True)
        body = {
            "calendarId": calendar["id"],
            "title": "Weekly",
            "startTime": "2026-04-13T09:00:00",
            "endTime": "2026-04-13T09:30:00",
        }
        first = await ws.post("/calendar-events", json=body, headers=key("old"))
        second = await ws.post("/calendar-events", json=body, headers=key("old"))
        # An expired key is free for any body.
        third = await ws.post(
            "/calendar-events", json={**body, "title": "Other"}, headers=key("old")
        )

    assert first.status_code == second.status_code == third.status_code == 201
    assert REPLAYED not in second.headers and REPLAYED not in third.headers
    assert len({first.json()["id"], second.json()["id"], third.json()["id"]}) == 3
    assert (await row_counts(test_db))["events"] == 3


async def test_expired_keys_do_not_pile_up(test_db: TestDatabase) -> None:
    app = app_with(test_db, idempotency_ttl_seconds=0)
    async with workspace_on(test_db, app) as ws:
        for index in range(4):
            body = {"name": f"M{index}", "email": f"m{index}@example.com"}
            response = await ws.post("/members", json=body, headers=key(f"member-{index}"))
            assert response.status_code == 201
    # Each new key cleared the expired ones before it; only the last one is left.
    assert await _stored_keys(test_db) == ["member-3"]


async def _stored_keys(test_db: TestDatabase) -> list[str]:
    async with test_db.database.session(write=False) as session:
        return list(await session.scalars(text("SELECT key FROM idempotency_keys ORDER BY id")))


async def test_a_key_within_its_ttl_replays(test_db: TestDatabase) -> None:
    app = app_with(test_db, idempotency_ttl_seconds=3600)
    async with workspace_on(test_db, app) as ws:
        body = {"name": "Dora", "email": "dora@example.com"}
        first = await ws.post("/members", json=body, headers=key("fresh"))
        second = await ws.post("/members", json=body, headers=key("fresh"))
    assert second.headers[REPLAYED] == "true"
    assert second.json() == first.json()
    assert await _stored_keys(test_db) == ["fresh"]


async def test_a_twin_of_a_running_request_gets_409(test_db: TestDatabase) -> None:
    app = app_with(test_db)
    entered = asyncio.Event()
    release = asyncio.Event()

    @app.post("/slow", status_code=201)
    async def slow() -> dict[str, str]:
        entered.set()
        await release.wait()
        return {"done": "yes"}

    async with workspace_on(test_db, app) as ws:
        headers = {**ws.headers("all"), **key("twin")}
        first = asyncio.create_task(ws.client.post("/slow", headers=headers, json={}))
        await asyncio.wait_for(entered.wait(), 60)

        twin = await ws.client.post("/slow", headers=headers, json={})

        release.set()
        original = await asyncio.wait_for(first, 60)
        after = await ws.client.post("/slow", headers=headers, json={})

    assert twin.status_code == 409
    assert twin.json()["code"] == "idempotency_in_progress"
    assert twin.headers["Content-Type"] == "application/problem+json"
    assert original.status_code == 201
    assert after.status_code == 201
    assert after.headers[REPLAYED] == "true"
    assert after.json() == {"done": "yes"}
