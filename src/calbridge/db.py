"""Engine, sessions and the column types every table shares.

One session per request, one commit per request (the request dependency commits; services never do).
On SQLite, write sessions begin ``IMMEDIATE`` so that check-then-insert (overlap, idempotency keys,
job claims) is serialised by the database itself; read sessions begin deferred and never block.
Writers in one process take turns in order before they begin (``WriteTurns``), so none of them
polls the database's lock: the busy timeout is left to writers in other processes.

There is no pre-ping: a connection that died in the pool fails its request's first statement,
the pool drops it and every connection older, and the request answers 503 (``http.py``), never
500; the next request gets a fresh connection.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, Table, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_

from calbridge import sqlite_driver

WRITE_OPTION = "calbridge_write"
# A write that is only worth making if it need not wait: on SQLite its BEGIN IMMEDIATE fails at
# once ("database is locked") instead of waiting out the busy timeout behind another writer.
NOWAIT_OPTION = "calbridge_nowait"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Rows sampled per index by PRAGMA optimize's ANALYZE (SQLite suggests a few hundred).
SQLITE_ANALYSIS_LIMIT = 400

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    @classmethod
    def __table_cls__(cls, name: str, metadata: MetaData, *args: Any, **kwargs: Any) -> Table:
        # SQLite hands a deleted row's id to the next insert unless the table is AUTOINCREMENT;
        # ids leave the service (URLs, ETags, Google ids, webhooks), so none may ever come back.
        # (PostgreSQL's sequences never go back either.) Composite keys are left as they are.
        kwargs.setdefault("sqlite_autoincrement", True)
        return Table(name, metadata, *args, **kwargs)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always UTC: refuses naive values, and gives back aware ones.

    SQLite keeps no time zone, so values are normalised to UTC on the way in and tagged UTC on
    the way out; PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class WriteTurns:
    """SQLite's write transactions in this process, one at a time and first come, first served.

    SQLite lets one transaction write at a time, and a writer that finds the lock taken sleeps
    and polls it; under load the unlucky ones poll for a second or more while others get in. A
    turn taken here just before BEGIN IMMEDIATE, and given back when the connection returns to
    the pool (after its COMMIT or ROLLBACK), queues them in process and in order instead, so the
    database lock is free whenever a writer asks for it. A session that commits and then calls
    Google holds no turn meanwhile. (An ``asyncio.Lock`` wakes waiters in order; one per event
    loop, as a lock belongs to the loop it waits in.) A writer waits for its turn as long as it
    would have waited for the lock, then gives up as SQLite would: "database is locked", which
    the API answers 503 database_busy.
    """

    def __init__(self) -> None:
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            self._locks = {
                known: held for known, held in self._locks.items() if not known.is_closed()
            }
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def take(self, *, wait: bool) -> asyncio.Lock:
        """The turn (its lock, to give back), or "database is locked" (at once without
        ``wait``, else after the busy timeout)."""
        lock = self._lock()
        try:
            if not wait and lock.locked():
                raise TimeoutError
            async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
                await lock.acquire()
        except TimeoutError:
            locked = sqlite3.OperationalError("database is locked")
            raise OperationalError("BEGIN IMMEDIATE", None, locked) from None
        return lock


class Database:
    """The engine and the two kinds of session made from it."""

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        echo: bool = False,
        application_name: str = "calbridge",
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {
            "echo": echo,
            "connect_args": connect_args(url, schema, application_name=application_name),
        }
        if url.startswith("sqlite+aiosqlite"):
            kwargs["module"] = sqlite_driver.dbapi()  # one thread hop a statement
        if not self.is_sqlite:
            kwargs.update(pool_size=10, max_overflow=20)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine, WriteTurns())
        # PostgreSQL reads in autocommit: READ COMMITTED gives each statement its own snapshot
        # inside a transaction too, so BEGIN and COMMIT would be two round trips for nothing.
        reads = (
            self.engine
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._read = async_sessionmaker(reads, expire_on_commit=False)
        self._write = async_sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )
        self._write_nowait = async_sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True, NOWAIT_OPTION: True}),
            expire_on_commit=False,
        )

    def session(self, *, write: bool) -> AsyncSession:
        return (self._write if write else self._read)()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write session that commits when the block ends without error (for workers and CLI)."""
        async with self.session(write=True) as session:
            yield session
            await session.commit()

    @asynccontextmanager
    async def transaction_nowait(self) -> AsyncIterator[AsyncSession]:
        """Like ``transaction``, but on SQLite it fails at once (``OperationalError``) rather
        than wait for another writer. (On PostgreSQL its statements choose how to not wait.)"""
        async with self._write_nowait() as session:
            yield session
            await session.commit()

    async def optimize(self) -> None:
        """SQLite: ``PRAGMA optimize``, which refreshes the planner's statistics (ANALYZE on a
        sample of ``SQLITE_ANALYSIS_LIMIT`` rows an index, so it takes milliseconds on a table of
        millions) where they are missing or stale: for every table on SQLite 3.46 and later,
        and before that for the tables this connection has queried. The hot plans hold without
        statistics (``tests/event/test_interval_index.py``) and with them
        (``test_interval_index_analyzed.py``); statistics keep SQLite's other choices sound.
        The worker runs it every few minutes. PostgreSQL has autovacuum for this."""
        if not self.is_sqlite:
            return
        async with self.transaction() as session:
            await session.execute(text(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}"))
            await session.execute(text("PRAGMA optimize=0x10002"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def connect_args(
    url: str, schema: str | None, *, application_name: str = "calbridge"
) -> dict[str, Any]:
    """Driver arguments: SQLite waits for locks; PostgreSQL connections say who they are
    (``pg_stat_activity.application_name``) and may be pointed at their own schema (tests give
    each run one), with ``public`` behind it for the btree_gist extension."""
    if url.startswith("sqlite"):
        return {"timeout": 30}
    settings = {"application_name": application_name}
    if schema:
        settings["search_path"] = f"{schema}, public"
    return {"server_settings": settings}


TURN = "calbridge_turn"  # in a pooled connection's info: the write turn it holds


def _configure_sqlite(engine: AsyncEngine, turns: WriteTurns) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so we can emit BEGIN IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        write = options.get(WRITE_OPTION, False)
        # The busy timeout belongs to the connection: set it for this transaction if it differs.
        wait_ms = 0 if options.get(NOWAIT_OPTION, False) else SQLITE_BUSY_TIMEOUT_MS
        info = connection.connection.info
        if write and TURN not in info:
            # Runs inside SQLAlchemy's greenlet, so it may wait on the event loop.
            info[TURN] = await_(turns.take(wait=wait_ms > 0))
        if info.get(NOWAIT_OPTION, SQLITE_BUSY_TIMEOUT_MS) != wait_ms:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={wait_ms}")
            info[NOWAIT_OPTION] = wait_ms
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    @event.listens_for(engine.sync_engine.pool, "checkin")
    @event.listens_for(engine.sync_engine.pool, "invalidate")
    def _give_back(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        # Back in the pool, the transaction is over (committed, or rolled back by the pool's
        # reset); an invalidated connection's is gone with it.
        lock = record.info.pop(TURN, None)
        if lock is not None:
            lock.release()
