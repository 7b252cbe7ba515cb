"""Is the database's schema the one this code expects? (Alembic's newest revision.)"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from calbridge.db import Database
from calbridge.migrate import alembic_config

MIGRATE_HINT = "run `calbridge migrate`"


@dataclass(frozen=True)
class SchemaState:
    current: frozenset[str]
    newest: frozenset[str]
    known: frozenset[str]  # every revision this code has

    @property
    def up_to_date(self) -> bool:
        return self.current == self.newest

    def describe(self) -> str:
        """One line for /readyz and the CLI: "ok", or what is wrong and what to do."""
        if self.up_to_date:
            return "ok"
        newest = ", ".join(sorted(self.newest))
        if not self.current:
            return f"not migrated (newest is {newest}): {MIGRATE_HINT}"
        current = ", ".join(sorted(self.current))
        if self.current <= self.known:
            return f"behind: at {current}, newest is {newest}: {MIGRATE_HINT}"
        return f"unknown revision {current}: the database is newer than this calbridge"


def _revisions() -> tuple[frozenset[str], frozenset[str]]:
    script = ScriptDirectory.from_config(alembic_config(""))
    newest = frozenset(script.get_heads())
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return newest, known


async def schema_state(database: Database, schema: str | None) -> SchemaState:
    """Reads the database's Alembic revision (raises if the database cannot be reached)."""

    def current(connection: Connection) -> frozenset[str]:
        options = {"version_table_schema": schema} if schema else {}
        context = MigrationContext.configure(connection, opts=options)
        return frozenset(context.get_current_heads())

    async with database.engine.connect() as connection:
        revisions = await connection.run_sync(current)
    newest, known = await asyncio.to_thread(_revisions)
    return SchemaState(revisions, newest, known)
