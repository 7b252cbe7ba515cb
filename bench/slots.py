"""Slots and free/busy benchmark: ``python -m bench.slots`` → bench/results/slots.json and .md.

Per database (a SQLite file; a PostgreSQL schema of its own, VACUUM ANALYZEd after the load):

- **slots vs list, one calendar**: a calendar that forbids overlap holds ``--events`` (10,000)
  events inside one 31-day range (evenly spread, 2 minutes each, so none overlap). Timed: one
  ``GET /calendars/{id}/slots`` over the 31 days (30-minute slots, and 5-minute slots on a
  5-minute step: 8,928 candidates), against listing the same events through the API
  (``GET /calendar-events?calendarId&startDate&endDate``, every page of 100, i.e. 100
  requests), and against one page of 100 alone. Target (issue 13): slots at most 3x the listing.
- **free/busy, 50 calendars**: 50 calendars with ``--events`` / 50 events each in the range;
  ``POST /free-busy`` over the 31 days, against listing those events (all pages, the
  workspace's list filtered by the range).

The app runs in this process (``httpx.ASGITransport``; no network, same for every side); each
side is measured ``--repeat`` times in alternation and the median is reported. SQL statements per
call are counted on the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, insert

from bench import databases, report
from bench.run import RESULTS, load_average, say
from bench.seed import EVENTS, Seeded, seed
from calbridge.app import create_app
from calbridge.calendar.models import Calendar
from calbridge.db import Database, utcnow
from calbridge.settings import Settings

RANGE_START = datetime(2030, 1, 7, tzinfo=UTC)  # a Monday, well in the future
RANGE = timedelta(days=31)
PAGE = 100
CALENDARS = 50


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.slots", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--events", type=int, default=10_000, help="events in the range (10000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per side (5)")
    parser.add_argument("--name", default="slots", help="results file name (slots)")
    return parser.parse_args(argv)


def _rows(workspace_id: int, calendar_ids: list[int], count: int) -> list[dict[str, Any]]:
    """``count`` two-minute events spread evenly over the range, dealt round-robin to the
    calendars (so no two of one calendar overlap)."""
    step = RANGE / count
    now = utcnow()
    rows = []
    for index in range(count):
        start_at = RANGE_START + step * index
        rows.append(
            {
                "workspace_id": workspace_id,
                "calendar_id": calendar_ids[index % len(calendar_ids)],
                "title": f"Busy {index}",
                "start_at": start_at,
                "end_at": start_at + timedelta(minutes=2),
                "status": "confirmed",
                "metadata": {},
                "duration_seconds": 120,
                "exclusive": True,
                "version": 1,
                "google_sync_status": "not_linked",
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


async def _load(database: Database, seeded: Seeded, events: int) -> list[int]:
    """The one busy calendar's events, then 50 calendars sharing as many; returns those 50."""
    async with database.transaction() as session:
        many = [
            Calendar(workspace_id=seeded.workspace_id, name=f"Room {n}", timezone="UTC")
            for n in range(CALENDARS)
        ]
        session.add_all(many)
        await session.flush()
        ids = [calendar.id for calendar in many]
    rows = _rows(seeded.workspace_id, [seeded.create_calendar_id], events)
    rows += _rows(seeded.workspace_id, ids, events)
    for first in range(0, len(rows), 5_000):
        async with database.transaction() as session:
            await session.execute(insert(EVENTS), rows[first : first + 5_000])
    return ids


class Statements:
    """Counts the SQL statements the engine runs between ``reset`` and ``count``."""

    def __init__(self, database: Database) -> None:
        self.seen = 0
        event.listen(database.engine.sync_engine, "before_cursor_execute", self._one)

    def _one(self, *_: Any) -> None:
        self.seen += 1


async def _timed(call: Callable[[], Awaitable[int]], statements: Statements) -> dict[str, Any]:
    statements.seen = 0
    started = time.perf_counter()
    requests = await call()
    return {
        "ms": (time.perf_counter() - started) * 1000,
        "requests": requests,
        "statements": statements.seen,
    }


async def measure(kind: str, directory: Path, options: argparse.Namespace) -> dict[str, Any]:
    bench_db = await databases.create(kind, directory, "slots")
    database = bench_db.connect()
    try:
        seeded = await seed(database, 0)
        many = await _load(database, seeded, options.events)
        await databases.analyze(bench_db)
        settings = Settings(
            database_url=bench_db.url,
            database_schema=bench_db.schema,
            secret_key=databases.SECRET_KEY,
        )
        app = create_app(settings, database=database)
        statements = Statements(database)
        headers = {"Authorization": f"Bearer {seeded.token}", "Accept": "application/json"}
        base = f"/api/v2/w/{seeded.workspace_uuid}"
        span = {"start": RANGE_START.isoformat(), "end": (RANGE_START + RANGE).isoformat()}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=headers
        ) as client:

            async def get(path: str, **params: Any) -> dict[str, Any]:
                response = await client.get(base + path, params=params)
                response.raise_for_status()
                body: dict[str, Any] = response.json()
                return body

            async def list_all(**filters: Any) -> int:
                page, pages = 1, 1
                while page <= pages:
                    body = await get(
                        "/calendar-events",
                        startDate=span["start"],
                        endDate=span["end"],
                        pageSize=PAGE,
                        page=page,
                        **filters,
                    )
                    pages = body["pages"]
                    page += 1
                return pages

            async def list_page() -> int:
                await get(
                    "/calendar-events",
                    calendarId=seeded.create_calendar_id,
                    startDate=span["start"],
                    endDate=span["end"],
                    pageSize=PAGE,
                )
                return 1

            async def slots(duration: int) -> int:
                await get(
                    f"/calendars/{seeded.create_calendar_id}/slots",
                    duration=duration,
                    step=duration,
                    **span,
                )
                return 1

            async def free_busy() -> int:
                response = await client.post(
                    base + "/free-busy", json={"calendarIds": many, **span}
                )
                response.raise_for_status()
                return 1

            sides: dict[str, Callable[[], Awaitable[int]]] = {
                "slots_30min": lambda: slots(30),
                "slots_5min": lambda: slots(5),
                "list_all_pages": lambda: list_all(calendarId=seeded.create_calendar_id),
                "list_one_page": list_page,
                "free_busy_50": free_busy,
                "list_50_calendars_all_pages": lambda: list_all(),
            }
            for call in sides.values():  # warm-up: caches, pools, plans
                await call()
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
            for _ in range(options.repeat):
                for name, call in sides.items():
                    runs[name].append(await _timed(call, statements))
    finally:
        await database.dispose()
        await databases.drop(bench_db)
    result = {
        name: {
            "median_ms": round(statistics.median(run["ms"] for run in found), 1),
            "min_ms": round(min(run["ms"] for run in found), 1),
            "requests": found[0]["requests"],
            "sql_statements": found[0]["statements"],
        }
        for name, found in runs.items()
    }
    listing = result["list_all_pages"]["median_ms"]
    result["ratio_slots_30min_to_list"] = round(result["slots_30min"]["median_ms"] / listing, 3)
    result["ratio_slots_5min_to_list"] = round(result["slots_5min"]["median_ms"] / listing, 3)
    result["ratio_free_busy_to_list"] = round(
        result["free_busy_50"]["median_ms"] / result["list_50_calendars_all_pages"]["median_ms"], 3
    )
    say(f"{kind}: {json.dumps(result)}")
    return result


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# Slots and free/busy ({results['events']} events in 31 days; load "
        f"{results['load_average']})",
        "",
        "| database | call | requests | SQL statements | median ms | min ms |",
        "|---|---|---|---|---|---|",
    ]
    for kind, found in results["databases"].items():
        if isinstance(found, str):
            lines.append(f"| {kind} | skipped: {found} | | | | |")
            continue
        for name, row in found.items():
            if isinstance(row, dict):
                lines.append(
                    f"| {kind} | {name} | {row['requests']} | {row['sql_statements']} | "
                    f"{row['median_ms']} | {row['min_ms']} |"
                )
        lines.append(
            f"| {kind} | **ratios** | slots 30 min / list: "
            f"{found['ratio_slots_30min_to_list']} | slots 5 min / list: "
            f"{found['ratio_slots_5min_to_list']} | free/busy / list: "
            f"{found['ratio_free_busy_to_list']} | target ≤ 3 |"
        )
    return "\n".join(lines) + "\n"


async def main(options: argparse.Namespace) -> dict[str, Any]:
    kinds = ["sqlite", "postgresql"] if options.db == "both" else [options.db]
    results: dict[str, Any] = {
        "events": options.events,
        "repeat": options.repeat,
        "load_average": load_average(),
        "databases": {},
    }
    with tempfile.TemporaryDirectory() as directory:
        for kind in kinds:
            problem = await databases.postgres_problem() if kind == "postgresql" else None
            if problem:
                results["databases"][kind] = problem
                continue
            results["databases"][kind] = await measure(kind, Path(directory), options)
    return results


def run(argv: list[str] | None = None) -> int:
    options = parse(argv)
    results = asyncio.run(main(options))
    report.save(results, RESULTS, options.name, markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
