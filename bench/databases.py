"""Fresh, migrated databases for one measurement: a SQLite file in a temporary directory, or a
PostgreSQL schema of its own (created, migrated, and dropped again at the end)."""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

from calbridge.db import Database
from calbridge.migrate import upgrade
from calbridge.models import Base

POSTGRES_URL = os.environ.get(
    "CALBRIDGE_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


# The servers' signing key (and so their token key): benchmarks are no install, but the published
# development key is refused outside tests, and PostgreSQL gets no generated key.
SECRET_KEY = "bench-only-secret-key-never-use-it-anywhere-else"


@dataclass(frozen=True)
class BenchDatabase:
    kind: str  # "sqlite" or "postgresql"
    url: str
    schema: str | None

    def env(self) -> dict[str, str]:
        """What a server process needs to find this database (read by ``Settings``)."""
        env = {"CALBRIDGE_DATABASE_URL": self.url, "CALBRIDGE_SECRET_KEY": SECRET_KEY}
        if self.schema:
            env["CALBRIDGE_DATABASE_SCHEMA"] = self.schema
        return env

    def connect(self) -> Database:
        return Database(self.url, schema=self.schema)


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def postgres_problem(url: str = POSTGRES_URL) -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        connection = await asyncpg.connect(_plain(url), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None


async def create(kind: str, directory: Path, label: str) -> BenchDatabase:
    """A new, empty database at the newest schema."""
    if kind == "sqlite":
        database = BenchDatabase(kind, f"sqlite+aiosqlite:///{directory / f'{label}.db'}", None)
    else:
        schema = f"bench_{label}_{os.getpid()}_{secrets.token_hex(3)}"
        connection = await asyncpg.connect(_plain(POSTGRES_URL))
        try:
            await connection.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
            await connection.execute(f"CREATE SCHEMA {schema}")
        finally:
            await connection.close()
        database = BenchDatabase(kind, POSTGRES_URL, schema)
    # Alembic runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade, database.url, database.schema)
    return database


async def analyze(database: BenchDatabase) -> None:
    """On PostgreSQL, what autovacuum would soon do after a bulk load: VACUUM ANALYZE, so plans
    are made on real statistics. SQLite is left as the app leaves it (it never runs ANALYZE)."""
    if database.kind != "postgresql":
        return
    tables = ", ".join(f"{database.schema}.{table.name}" for table in Base.metadata.sorted_tables)
    connection = await asyncpg.connect(_plain(database.url))
    try:
        # Named tables only: a bare VACUUM would visit every schema of the shared database.
        await connection.execute(f"VACUUM ANALYZE {tables}")
    finally:
        await connection.close()


async def drop(database: BenchDatabase) -> None:
    if database.kind != "postgresql":
        return  # the SQLite file goes with its temporary directory
    connection = await asyncpg.connect(_plain(database.url))
    try:
        await connection.execute(f"DROP SCHEMA IF EXISTS {database.schema} CASCADE")
    finally:
        await connection.close()
