"""Helpers for the Idempotency-Key tests: row counts and apps with their own settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from calbridge.app import create_app
from calbridge.settings import Settings
from tests.support.api import WorkspaceFixture, make_workspace
from tests.support.databases import TestDatabase

COUNTED_TABLES = ("calendars", "members", "events", "attendees", "outbox_jobs")


async def row_counts(test_db: TestDatabase) -> dict[str, int]:
    """How many rows each table that a POST can write to holds: a replay must not change it."""
    async with test_db.database.session(write=False) as session:
        return {
            table: int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for table in COUNTED_TABLES
        }


def app_with(test_db: TestDatabase, **overrides: Any) -> FastAPI:
    settings = Settings(
        environment="test", database_url=test_db.url, database_schema=test_db.schema, **overrides
    )
    return create_app(settings, database=test_db.database)


@asynccontextmanager
async def workspace_on(
    test_db: TestDatabase, app: FastAPI, *, raise_app_exceptions: bool = True
) -> AsyncIterator[WorkspaceFixture]:
    """A fresh workspace (with one token per scope) served by ``app`` in process."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield await make_workspace(test_db.database, client)


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}
