"""The floor: bare Starlette endpoints doing only the database work the measured endpoints must do,
on the same ``calbridge.db.Database`` (same driver, pool, pragmas, BEGIN IMMEDIATE on SQLite).

* ``POST /w/{workspace_id}/events`` — one INSERT of an event row and a commit.
* ``GET /w/{workspace_id}/events`` — the list endpoint's indexed range query for one calendar
  and window (a count plus one page of 20, ordered by start and id), as JSON.

No auth, no validation models, no ORM objects: what is left is HTTP, JSON, the driver and the
database, which no real endpoint can go below. Served by ``uvicorn --factory
bench.floor:floor_app``; the database comes from the environment, as for the real app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from calbridge.db import Database, utcnow
from calbridge.event.models import Event
from calbridge.settings import Settings

PAGE_SIZE = 20
COLUMNS = (
    Event.id,
    Event.calendar_id,
    Event.title,
    Event.start_at,
    Event.end_at,
    Event.status,
    Event.created_at,
    Event.updated_at,
)


def floor_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    database = Database(settings.database_url, schema=settings.database_schema)

    async def insert_event(request: Request) -> JSONResponse:
        body = await request.json()
        now = utcnow()
        values: dict[str, Any] = {
            "workspace_id": int(request.path_params["workspace_id"]),
            "calendar_id": body["calendarId"],
            "title": body["title"],
            "start_at": datetime.fromisoformat(body["startTime"]),
            "end_at": datetime.fromisoformat(body["endTime"]),
            "status": "confirmed",
            "meta": {},
            "exclusive": True,
            "version": 1,
            "google_sync_status": "not_linked",
            "created_at": now,
            "updated_at": now,
        }
        async with database.session(write=True) as session:
            event_id = await session.scalar(insert(Event).values(values).returning(Event.id))
            await session.commit()
        return JSONResponse({"id": event_id}, status_code=201)

    async def select_events(request: Request) -> JSONResponse:
        params = request.query_params
        calendar_id = int(params["calendarId"])
        start_at = datetime.fromisoformat(params["startDate"])
        end_at = datetime.fromisoformat(params["endDate"])
        async with database.session(write=False) as session:
            # The same bounded range query as the list endpoint: the calendar's longest event
            # (an index lookup) bounds start_at from below.
            longest = await session.scalar(
                select(func.max(Event.duration_seconds)).where(Event.calendar_id == calendar_id)
            )
            where = (
                Event.calendar_id == calendar_id,
                Event.start_at < end_at,
                Event.end_at > start_at,
                Event.start_at > start_at - timedelta(seconds=longest or 0),
            )
            total = await session.scalar(select(func.count()).select_from(Event).where(*where))
            rows = await session.execute(
                select(*COLUMNS).where(*where).order_by(Event.start_at, Event.id).limit(PAGE_SIZE)
            )
            items = [_jsonable(row._mapping) for row in rows]
        return JSONResponse({"items": items, "total": total})

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await database.dispose()

    return Starlette(
        routes=[
            Route("/w/{workspace_id:int}/events", insert_event, methods=["POST"]),
            Route("/w/{workspace_id:int}/events", select_events, methods=["GET"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )


def _jsonable(row: Any) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in row.items()
    }
