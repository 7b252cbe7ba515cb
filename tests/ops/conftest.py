"""Fixtures for the operations tests: a blank database (no tables) on each backend."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from calbridge.db import Database
from calbridge.settings import Settings
from tests.support.databases import POSTGRES_URL


@dataclass
class BlankDatabase:
    url: str
    schema: str | None

    def settings(self) -> Settings:
        return Settings(environment="test", database_url=self.url, database_schema=self.schema)

    def database(self) -> Database:
        return Database(self.url, schema=self.schema)


@pytest.fixture(params=["sqlite", "postgresql"])
async def blank_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlankDatabase]:
    """A database nobody has migrated: a new SQLite file, or a new empty PostgreSQL schema."""
    if request.param == "sqlite":
        yield BlankDatabase(f"sqlite+aiosqlite:///{tmp_path / 'blank.db'}", None)
        return
    if POSTGRES_URL is None:
        pytest.skip("PostgreSQL not configured (set CALBRIDGE_TEST_DATABASE_URL)")
    plain = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")
    schema = f"blank_{os.getpid()}_{secrets.token_hex(3)}"
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        await connection.execute(f"CREATE SCHEMA {schema}")
        yield BlankDatabase(POSTGRES_URL, schema)
    finally:
        await connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await connection.close()
