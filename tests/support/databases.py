"""The real databases the tests run on: a SQLite file always, and PostgreSQL when
CALBRIDGE_TEST_DATABASE_URL names one. With CI=true an unreachable PostgreSQL fails the run."""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select, text

from calbridge.db import Base, Database
from calbridge.migrate import upgrade

POSTGRES_URL = os.environ.get("CALBRIDGE_TEST_DATABASE_URL")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass
class TestDatabase:
    """A migrated database for one test session, wiped between tests."""

    __test__ = False  # not a test class, whatever its name says

    kind: str  # "sqlite" or "postgresql"
    url: str
    schema: str | None
    database: Database

    def command_env(self) -> dict[str, str]:
        """The environment of a ``calbridge`` command (in-process or a subprocess) that works on
        this database: the caller's, without its CALBRIDGE_ settings, plus the database's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CALBRIDGE_")}
        env |= {"CALBRIDGE_DATABASE_URL": self.url, "CALBRIDGE_ENVIRONMENT": "test"}
        if self.schema:
            env["CALBRIDGE_DATABASE_SCHEMA"] = self.schema
        return env

    async def row_counts(self) -> dict[str, int]:
        """How many rows each table holds, by name (what a refused request must not change)."""
        async with self.database.session(write=False) as session:
            counts = {}
            for table in Base.metadata.sorted_tables:
                counts[table.name] = (
                    await session.scalar(select(func.count()).select_from(table)) or 0
                )
            return counts

    async def wipe(self) -> None:
        tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
        async with self.database.transaction() as session:
            # DELETE, children first: on tables this small it is far cheaper than TRUNCATE.
            for table in tables:
                await session.execute(text(f"DELETE FROM {table}"))
            if self.kind == "sqlite":
                # Statistics a worker's PRAGMA optimize made would reach this test's plans.
                await session.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))


def postgres_available() -> bool:
    if POSTGRES_URL is None:
        return False
    plain = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")

    async def probe() -> None:
        connection = await asyncpg.connect(plain, timeout=5)
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


def create_sqlite(directory: Path) -> TestDatabase:
    url = f"sqlite+aiosqlite:///{directory / 'calbridge-test.db'}"
    upgrade(url)
    return TestDatabase("sqlite", url, None, Database(url))


def create_postgres() -> TestDatabase:
    assert POSTGRES_URL is not None
    schema = f"t_{os.getpid()}_{secrets.token_hex(3)}"
    plain = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")

    async def create_schema() -> None:
        connection = await asyncpg.connect(plain)
        await connection.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        await connection.execute(f"CREATE SCHEMA {schema}")
        await connection.close()

    asyncio.run(create_schema())
    upgrade(POSTGRES_URL, schema)
    return TestDatabase("postgresql", POSTGRES_URL, schema, Database(POSTGRES_URL, schema=schema))


async def create_database(kind: str, directory: Path) -> TestDatabase:
    """A freshly migrated database of ``kind`` (SQLite: a file in ``directory``); PostgreSQL's
    tests are skipped where it is not configured (never in CI: ``conftest`` refuses to start).
    Migrations and probes run their own event loops, so they run in a thread."""
    if kind == "sqlite":
        return await asyncio.to_thread(create_sqlite, directory)
    if POSTGRES_URL is None or not await asyncio.to_thread(postgres_available):
        pytest.skip("PostgreSQL not configured (set CALBRIDGE_TEST_DATABASE_URL)")
    return await asyncio.to_thread(create_postgres)


async def drop_database(test_database: TestDatabase) -> None:
    """Its connections closed; on PostgreSQL its schema dropped (a SQLite file goes with its
    temporary directory)."""
    if test_database.kind == "postgresql":
        await drop_postgres_schema(test_database)
    else:
        await test_database.database.dispose()


async def drop_postgres_schema(test_database: TestDatabase) -> None:
    await test_database.database.dispose()
    plain = test_database.url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(plain)
    await connection.execute(f"DROP SCHEMA IF EXISTS {test_database.schema} CASCADE")
    await connection.close()
