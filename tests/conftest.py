from __future__ import annotations

import os
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from calbridge.app import create_app
from calbridge.services import Services
from calbridge.settings import Settings
from tests.support.api import WorkspaceFixture, make_workspace
from tests.support.databases import (
    IN_CI,
    POSTGRES_URL,
    TestDatabase,
    create_database,
    drop_database,
    postgres_available,
)


def pytest_configure(config: pytest.Config) -> None:
    # Code that reads the environment's settings itself (the default Google gateway, the CLI)
    # runs as the test environment: never generating a secret key file in the working directory.
    os.environ.setdefault("CALBRIDGE_ENVIRONMENT", "test")
    if IN_CI and (POSTGRES_URL is None or not postgres_available()):
        raise pytest.UsageError(
            "CI=true but PostgreSQL is not reachable at CALBRIDGE_TEST_DATABASE_URL="
            f"{POSTGRES_URL!r}: the database tests must run on both SQLite and PostgreSQL."
        )


_backends: dict[str, TestDatabase] = {}


async def _backend(kind: str, tmp_path_factory: pytest.TempPathFactory) -> TestDatabase:
    if kind not in _backends:
        _backends[kind] = await create_database(kind, tmp_path_factory.mktemp(kind))
    return _backends[kind]


@pytest.fixture(scope="session", autouse=True)
async def _drop_backends() -> AsyncIterator[None]:
    yield
    for backend in _backends.values():
        await drop_database(backend)


@pytest.fixture(params=["sqlite", "postgresql"])
async def test_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[TestDatabase]:
    """A real, migrated database (each test runs on SQLite and on PostgreSQL), empty at start."""
    backend = await _backend(request.param, tmp_path_factory)
    await backend.wipe()
    yield backend


@pytest.fixture
def settings(test_db: TestDatabase) -> Settings:
    return Settings(environment="test", database_url=test_db.url, database_schema=test_db.schema)


@pytest.fixture
def services(settings: Settings, test_db: TestDatabase) -> Services:
    """The test's one context: its app and its workers share it (and so its clock)."""
    return Services.build(settings, database=test_db.database)


@pytest.fixture
def app(services: Services) -> FastAPI:
    return create_app(services=services)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def ws(test_db: TestDatabase, client: httpx.AsyncClient) -> WorkspaceFixture:
    """A workspace (Europe/Amsterdam) with tokens for each scope, and a client for its API."""
    return await make_workspace(test_db.database, client)


@pytest.fixture
async def other_ws(test_db: TestDatabase, client: httpx.AsyncClient) -> WorkspaceFixture:
    return await make_workspace(test_db.database, client, name="Other Co")
