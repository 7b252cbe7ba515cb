"""SQLite for the async engine, one thread hop a statement.

aiosqlite runs each connection in a thread of its own and hands it every call through a queue:
SQLAlchemy's adapter makes four such calls a statement (open a cursor, execute, fetch all,
close), each a wake-up of the thread and then of the event loop. Here a statement is one call
that does all four in the connection's thread and brings back the rows, so a booking costs a
dozen hand-offs rather than forty. Everything else (connecting, commit, rollback, errors) is
SQLAlchemy's aiosqlite adapter as it is; ``Database`` passes ``dbapi()`` as the engine's module.
"""

from __future__ import annotations

import collections
import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


@dataclass
class _Ran:
    """What a statement leaves on its cursor, read in the connection's thread."""

    description: Any = None
    rowcount: int = -1
    lastrowid: int | None = None
    arraysize: int = 1


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[_Ran, list[Any]]:
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        return _Ran(cursor.description, cursor.rowcount, cursor.lastrowid), rows
    finally:
        cursor.close()


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        return _Ran()  # no aiosqlite cursor: each statement opens and closes its own

    def _aenter_cursor(self, cursor: Any) -> Any:
        return cursor

    async def _async_soft_close(self) -> None:
        return None  # the rows are here already; nothing is open in the thread

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._run(operation, parameters, many=False)
        return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._run(operation, seq_of_parameters, many=True)
        return self

    async def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: Any = self._connection  # an aiosqlite.Connection; _execute runs in its thread
        async with self._adapt_connection._execute_mutex:
            ran, rows = await connection._execute(
                _run, connection._conn, operation, parameters, many
            )
        self._cursor = ran
        self._rows = collections.deque(rows)


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _Cursor


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        return _Connection(self, adapted._connection)


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The module for ``create_async_engine(..., module=dbapi())`` with ``sqlite+aiosqlite``."""
    return _DBAPI(aiosqlite, sqlite3)
