"""The independent floor of issue 10: a bare Starlette app on the raw driver (``sqlite3`` or
``asyncpg``), importing nothing of calbridge, doing the database work each measured request must
do, with the same statements on the same schema and indexes:

* ``POST /w/{uuid}/events`` — in one transaction: the token and workspace, the calendar (locked on
  PostgreSQL), the overlap check on the interval index, the event, its attendee and its outbox
  row.
* ``GET /w/{uuid}/events/{id}`` — the token and workspace, the event, its attendees.
* ``GET /w/{uuid}/events?calendarId&startDate&endDate`` — the token and workspace, a count and
  one page of 20 (ordered by start and id) on the interval index, the page's attendees.

What is left is HTTP, JSON, the driver and the database, which no real endpoint can go below.
On SQLite the one connection is used straight from the event loop (no thread hop); on PostgreSQL
an ``asyncpg`` pool. ``uvicorn --factory bench.bare:bare_app`` with ``BARE_SQLITE_PATH`` or
``BARE_POSTGRES_DSN`` (+ ``BARE_POSTGRES_SCHEMA``) in the environment.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PAGE_SIZE = 20
EVENT_COLUMNS = "id, calendar_id, title, start_at, end_at, status, version, created_at, updated_at"

AUTH = (
    "SELECT w.id FROM api_tokens t JOIN workspaces w ON w.id = t.workspace_id "
    "WHERE t.token_hash = ? AND w.uuid = ? AND t.revoked_at IS NULL"
)
CALENDAR = "SELECT allow_overlap FROM calendars WHERE id = ? AND workspace_id = ?"
# "Shares an instant with [S, E)" on the interval index, as the app asks it (migration 0017):
# the R*Tree on SQLite (other terms as +column, so no B-tree is preferred), GiST on PostgreSQL.
SQLITE_SPAN = (
    "id IN (SELECT id FROM events_span WHERE calendar_lo <= ? AND calendar_hi >= ?"
    " AND start_at <= ? AND end_at >= ?) AND +calendar_id = ? AND +start_at < ? AND +end_at > ?"
)
PG_SPAN = "calendar_id = ? AND tstzrange(start_at, end_at, '[)') && tstzrange(?, ?, '[)')"
SQLITE_ORDER = "ORDER BY +start_at, +id"
PG_ORDER = "ORDER BY coalesce(start_at, start_at), coalesce(id, id)"


def overlap(span: str) -> str:
    return f"SELECT 1 FROM events WHERE {span} AND status <> 'cancelled' LIMIT 1"


def count(span: str) -> str:
    return f"SELECT count(*) FROM events WHERE {span}"


def page(span: str, order: str) -> str:
    return f"SELECT {EVENT_COLUMNS} FROM events WHERE {span} {order} LIMIT {PAGE_SIZE}"


INSERT_EVENT = (
    "INSERT INTO events (workspace_id, calendar_id, title, start_at, end_at, duration_seconds, "
    "status, metadata, exclusive, version, uid, google_sync_status, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, 'confirmed', '{}', ?, 1, ?, 'not_linked', ?, ?) RETURNING id"
)
INSERT_ATTENDEE = (
    "INSERT INTO attendees (event_id, member_id, position, response_status) "
    "VALUES (?, ?, 0, 'needsAction')"
)
INSERT_JOB = (
    "INSERT INTO outbox_jobs (kind, payload, status, attempts, max_attempts, run_after, "
    "created_at, updated_at) VALUES ('event.changed', ?, 'pending', 0, 8, ?, ?, ?)"
)
EVENT = f"SELECT {EVENT_COLUMNS} FROM events WHERE id = ? AND workspace_id = ?"
ATTENDEES = "SELECT member_id, response_status FROM attendees WHERE event_id = ? ORDER BY position"


class Store(Protocol):
    async def create(self, token: str, uuid: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The new event, or None when the token, calendar or slot says no."""

    async def get(self, token: str, uuid: str, event_id: int) -> dict[str, Any] | None: ...

    async def list(
        self, token: str, uuid: str, calendar_id: int, start: datetime, end: datetime
    ) -> dict[str, Any] | None: ...

    async def close(self) -> None: ...


def token_hash(request: Request) -> str:
    secret = request.headers.get("authorization", "").removeprefix("Bearer ")
    return hashlib.sha256(secret.encode()).hexdigest()


def instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def jsonable(row: Sequence[Any], attendees: list[dict[str, Any]]) -> dict[str, Any]:
    names = EVENT_COLUMNS.split(", ")
    event = {name: value for name, value in zip(names, row, strict=True)}
    for name in ("start_at", "end_at", "created_at", "updated_at"):
        value = event[name]
        event[name] = value.isoformat() if isinstance(value, datetime) else value
    return {**event, "attendees": attendees}


def created(
    event_id: int, calendar_id: int, body: dict[str, Any], span: Sequence[Any], now: Any
) -> dict[str, Any]:
    """The new event as the answer shows it (from the values written: no second read)."""
    row = (event_id, calendar_id, body["title"], *span, "confirmed", 1, now, now)
    attendees = [
        {"member_id": member, "response_status": "needsAction"}
        for member in body.get("attendeeIds", [])
    ]
    return jsonable(row, attendees)


class SqliteStore:
    """One connection, used from the event loop; writes in ``BEGIN IMMEDIATE`` transactions.
    SQLite keeps naive UTC text as SQLAlchemy writes it (``YYYY-MM-DD HH:MM:SS.ffffff``)."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("PRAGMA busy_timeout=5000")

    @staticmethod
    def at(value: datetime) -> str:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def window(self, calendar_id: int, start: datetime, end: datetime) -> tuple[Any, ...]:
        box = (calendar_id, calendar_id, math.ceil(end.timestamp()), math.floor(start.timestamp()))
        return (*box, calendar_id, self.at(end), self.at(start))

    def _workspace(self, token: str, uuid: str) -> int | None:
        row = self.db.execute(AUTH, (token, uuid)).fetchone()
        return None if row is None else int(row[0])

    async def create(self, token: str, uuid: str, body: dict[str, Any]) -> dict[str, Any] | None:
        start, end = instant(body["startTime"]), instant(body["endTime"])
        calendar_id = int(body["calendarId"])
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            workspace_id = self._workspace(token, uuid)
            calendar = db.execute(CALENDAR, (calendar_id, workspace_id)).fetchone()
            if workspace_id is None or calendar is None:
                db.execute("ROLLBACK")
                return None
            window = self.window(calendar_id, start, end)
            if not calendar[0] and db.execute(overlap(SQLITE_SPAN), window).fetchone():
                db.execute("ROLLBACK")
                return None
            now = self.at(datetime.now(UTC))
            seconds = int((end - start).total_seconds())
            values = (workspace_id, calendar_id, body["title"], self.at(start), self.at(end))
            extra = (seconds, not calendar[0], os.urandom(16).hex(), now, now)
            event_id = db.execute(INSERT_EVENT, values + extra).fetchone()[0]
            for member_id in body.get("attendeeIds", []):
                db.execute(INSERT_ATTENDEE, (event_id, member_id))
            payload = json.dumps({"event_id": event_id, "change": "created"})
            db.execute(INSERT_JOB, (payload, now, now, now))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return created(event_id, calendar_id, body, values[3:5], now)

    async def get(self, token: str, uuid: str, event_id: int) -> dict[str, Any] | None:
        workspace_id = self._workspace(token, uuid)
        row = self.db.execute(EVENT, (event_id, workspace_id)).fetchone()
        if row is None:
            return None
        return jsonable(row, self._attendees(event_id))

    def _attendees(self, event_id: int) -> list[dict[str, Any]]:
        rows = self.db.execute(ATTENDEES, (event_id,)).fetchall()
        return [{"member_id": member, "response_status": status} for member, status in rows]

    async def list(
        self, token: str, uuid: str, calendar_id: int, start: datetime, end: datetime
    ) -> dict[str, Any] | None:
        if self._workspace(token, uuid) is None:
            return None
        window = self.window(calendar_id, start, end)
        total = self.db.execute(count(SQLITE_SPAN), window).fetchone()[0]
        rows = self.db.execute(page(SQLITE_SPAN, SQLITE_ORDER), window).fetchall()
        items = [jsonable(row, self._attendees(row[0])) for row in rows]
        return {"items": items, "total": total}

    async def close(self) -> None:
        self.db.close()


def numbered(sql: str) -> str:
    """``?`` placeholders as asyncpg's ``$1, $2, …``."""
    count = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(count)}", sql)


class PostgresStore:
    """An asyncpg pool; bookings lock the calendar row (``FOR UPDATE``) as the app does."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, dsn: str, schema: str | None) -> PostgresStore:
        settings = {"search_path": schema} if schema else {}
        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=20, server_settings=settings)
        return cls(pool)

    async def create(self, token: str, uuid: str, body: dict[str, Any]) -> dict[str, Any] | None:
        start, end = instant(body["startTime"]), instant(body["endTime"])
        calendar_id = int(body["calendarId"])
        async with self.pool.acquire() as db, db.transaction():
            workspace_id = await db.fetchval(numbered(AUTH), token, uuid)
            calendar = await db.fetchrow(
                numbered(CALENDAR + " FOR UPDATE"), calendar_id, workspace_id
            )
            if workspace_id is None or calendar is None:
                return None
            taken = await db.fetchval(numbered(overlap(PG_SPAN)), calendar_id, start, end)
            if not calendar[0] and taken is not None:
                return None
            now = datetime.now(UTC)
            seconds = int((end - start).total_seconds())
            event_id = await db.fetchval(
                numbered(INSERT_EVENT),
                *(workspace_id, calendar_id, body["title"], start, end, seconds),
                *(not calendar[0], os.urandom(16).hex(), now, now),
            )
            for member_id in body.get("attendeeIds", []):
                await db.execute(numbered(INSERT_ATTENDEE), event_id, member_id)
            payload = json.dumps({"event_id": event_id, "change": "created"})
            await db.execute(numbered(INSERT_JOB), payload, now, now, now)
        return created(event_id, calendar_id, body, (start, end), now)

    async def get(self, token: str, uuid: str, event_id: int) -> dict[str, Any] | None:
        async with self.pool.acquire() as db:
            workspace_id = await db.fetchval(numbered(AUTH), token, uuid)
            row = await db.fetchrow(numbered(EVENT), event_id, workspace_id)
            if row is None:
                return None
            attendees = await db.fetch(numbered(ATTENDEES), event_id)
        return jsonable(row, [dict(attendee) for attendee in attendees])

    async def list(
        self, token: str, uuid: str, calendar_id: int, start: datetime, end: datetime
    ) -> dict[str, Any] | None:
        async with self.pool.acquire() as db:
            if await db.fetchval(numbered(AUTH), token, uuid) is None:
                return None
            window = (calendar_id, start, end)
            total = await db.fetchval(numbered(count(PG_SPAN)), *window)
            rows = await db.fetch(numbered(page(PG_SPAN, PG_ORDER)), *window)
            items = []
            for row in rows:
                attendees = await db.fetch(numbered(ATTENDEES), row[0])
                items.append(jsonable(row, [dict(attendee) for attendee in attendees]))
        return {"items": items, "total": total}

    async def close(self) -> None:
        await self.pool.close()


async def open_store() -> Store:
    path = os.environ.get("BARE_SQLITE_PATH")
    if path:
        return SqliteStore(path)
    return await PostgresStore.open(
        os.environ["BARE_POSTGRES_DSN"], os.environ.get("BARE_POSTGRES_SCHEMA")
    )


def bare_app() -> Starlette:
    stores: list[Store] = []

    def refused() -> Response:
        return JSONResponse({"code": "refused"}, status_code=409)

    async def create(request: Request) -> Response:
        body = await request.json()
        made = await stores[0].create(token_hash(request), request.path_params["uuid"], body)
        return refused() if made is None else JSONResponse(made, status_code=201)

    async def get(request: Request) -> Response:
        params = request.path_params
        found = await stores[0].get(token_hash(request), params["uuid"], params["event_id"])
        return JSONResponse(found) if found else JSONResponse({"code": "not_found"}, 404)

    async def list_events(request: Request) -> Response:
        query = request.query_params
        page = await stores[0].list(
            token_hash(request),
            request.path_params["uuid"],
            int(query["calendarId"]),
            instant(query["startDate"]),
            instant(query["endDate"]),
        )
        return JSONResponse(page) if page else JSONResponse({"code": "not_found"}, 404)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        stores.append(await open_store())
        yield
        await stores[0].close()

    return Starlette(
        routes=[
            Route("/w/{uuid}/events", create, methods=["POST"]),
            Route("/w/{uuid}/events", list_events, methods=["GET"]),
            Route("/w/{uuid}/events/{event_id:int}", get, methods=["GET"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
