"""Where ``google.credentials`` writes (a refreshed token, the ``broken`` mark) when the caller
is not an HTTP request with the app's ``Database`` at hand.

- ``EngineDatabase``: short transactions of their own on an engine that already exists (the
  worker's session's), without a second connection pool. For the sync jobs, which end their
  read transaction before calling Google, so nothing of theirs holds a lock meanwhile.
- ``SessionDatabase``: a savepoint inside a session that is already in a write transaction
  (the booking request's, for ``googleConflictCheck``). On SQLite that request holds the
  database's only write lock, so a transaction of its own would wait for the request, which
  waits for it: the write has to go through the request's own session. It then commits with
  the request, or is lost if the booking fails (which costs a refresh next time, nothing more).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from calbridge.db import Database


class EngineDatabase(Database):
    def __init__(self, engine: AsyncEngine) -> None:  # no super(): the engine exists already
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=True)
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._read = async_sessionmaker(engine, expire_on_commit=False)
        self._write = self._read

    @classmethod
    def of(cls, session: AsyncSession) -> EngineDatabase:
        """The engine behind ``session`` (for a worker's write session, one that begins
        ``IMMEDIATE`` on SQLite)."""
        bind = session.bind
        assert isinstance(bind, AsyncEngine)
        return cls(bind)


class SessionDatabase(Database):
    def __init__(self, session: AsyncSession) -> None:  # no super(): borrows the session
        self._session = session
        self.engine = session.bind  # type: ignore[assignment]
        self.is_sqlite = session.bind is not None and session.bind.dialect.name == "sqlite"
        self.url = ""

    def session(self, *, write: bool) -> AsyncSession:
        return self._session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._session.begin_nested():
            yield self._session
