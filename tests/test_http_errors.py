"""Every error is problem+json: unexpected faults (500) and database contention (503)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError

from calbridge.errors import PROBLEM_JSON
from calbridge.http import install_error_handlers


def faulty_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/locked")
    async def locked() -> None:
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    @app.get("/broken-sql")
    async def broken_sql() -> None:
        raise OperationalError("SELECT", {}, Exception("no such table: nope"))

    return app


async def request(path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=faulty_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


async def test_an_unexpected_fault_is_a_problem_500_that_reveals_nothing() -> None:
    response = await request("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["code"] == "internal_error"
    assert "secret internals" not in response.text


async def test_a_locked_database_is_a_503_to_retry() -> None:
    response = await request("/locked")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["code"] == "database_busy"


async def test_other_database_faults_stay_500() -> None:
    response = await request("/broken-sql")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
