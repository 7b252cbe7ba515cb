"""``python -m bench.run``: booking creates/s and list latency, app against floor, per database.

For each database the real app and the floor are each served (uvicorn, one process each) on a
fresh database seeded the same way, and put under the same load in turns: first lists of random
one-week windows of the busy calendar, then bookings of distinct free slots of the empty one.
The figures go to bench/results/<name>.json and .md, and the table is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench import databases, report
from bench.databases import BenchDatabase
from bench.load import Meter, Phase, Send
from bench.seed import LIST_SPAN, LIST_SPAN_START, Seeded, seed
from bench.server import APP, FLOOR, serve

RESULTS = Path(__file__).resolve().parent / "results"
CREATE_SPAN_START = datetime(2031, 1, 6, tzinfo=UTC)  # far from the listed events
SLOT = timedelta(minutes=30)
WINDOW = timedelta(days=7)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--events", type=int, help="events on the listed calendar (100,000)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run (5,000 events)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (8)")
    parser.add_argument("--seconds", type=float, help="measured seconds per phase (15; quick 3)")
    parser.add_argument("--warmup", type=float, help="warm-up seconds per phase (3; quick 1)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="turns app and floor take per phase (3)"
    )
    parser.add_argument("--name", help="results file name (latest; quick runs: quick)")
    options = parser.parse_args(argv)
    options.events = options.events or (5_000 if options.quick else 100_000)
    options.seconds = options.seconds or (3.0 if options.quick else 15.0)
    if options.warmup is None:
        options.warmup = 1.0 if options.quick else 3.0
    options.name = options.name or ("quick" if options.quick else "latest")
    return options


async def main(options: argparse.Namespace) -> dict[str, Any]:
    kinds = ["sqlite", "postgresql"] if options.db == "both" else [options.db]
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_start": load_average(),
        },
        "options": {
            "events": options.events,
            "concurrency": options.concurrency,
            "seconds": options.seconds,
            "warmup_seconds": options.warmup,
            "rounds": options.rounds,
            "attendees_per_booking": 1,
        },
        "databases": {},
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="calbridge-bench-") as directory:
        for kind in kinds:
            results["databases"][kind] = await bench_database(kind, Path(directory), options)
    results["machine"]["load_average_at_end"] = load_average()
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    return results


async def bench_database(kind: str, directory: Path, options: argparse.Namespace) -> dict[str, Any]:
    if kind == "postgresql":
        problem = await databases.postgres_problem()
        if problem is not None:
            say(f"postgresql: skipped, unreachable at {databases.POSTGRES_URL} ({problem})")
            return {"status": "skipped", "reason": f"PostgreSQL unreachable ({problem})"}
    created: list[BenchDatabase] = []
    try:
        for label in ("app", "floor"):
            created.append(await databases.create(kind, directory, label))
        app_db, floor_db = created
        app_seeded, app_seed_seconds = await _seed(app_db, options.events)
        floor_seeded, floor_seed_seconds = await _seed(floor_db, options.events)
        say(
            f"{kind}: seeded {options.events:,} events in {app_seed_seconds:.1f}s (app) and "
            f"{floor_seed_seconds:.1f}s (floor)"
        )
        app_requests, floor_requests = requests_to_app(app_seeded), requests_to_floor(floor_seeded)
        async with serve(APP, app_db.env()) as app, serve(FLOOR, floor_db.env()) as floor:
            app_list, floor_select = await compare(
                kind,
                "list",
                Meter(app, app_requests.list(), expect=200, concurrency=options.concurrency),
                Meter(floor, floor_requests.list(), expect=200, concurrency=options.concurrency),
                options,
            )
            app_create, floor_insert = await compare(
                kind,
                "create",
                Meter(app, app_requests.create(), expect=201, concurrency=options.concurrency),
                Meter(floor, floor_requests.create(), expect=201, concurrency=options.concurrency),
                options,
            )
    finally:
        for database in created:
            await databases.drop(database)
    measured_app = {"list": app_list.summary(), "create": app_create.summary()}
    measured_floor = {"select": floor_select.summary(), "insert": floor_insert.summary()}
    return {
        "status": "ok",
        "app": measured_app,
        "floor": measured_floor,
        "seed_seconds": {"app": app_seed_seconds, "floor": floor_seed_seconds},
        "targets": report.judge(measured_app, measured_floor),
    }


async def compare(
    kind: str,
    name: str,
    app: Meter,
    floor: Meter,
    options: argparse.Namespace,
    labels: tuple[str, str] = ("app", "floor"),
) -> tuple[Phase, Phase]:
    """App and floor (or any two servers, named by ``labels``) take turns (who goes first
    alternates), so a busy moment of the shared machine falls on both rather than on one."""
    async with app, floor:
        await app.warm_up(options.warmup)
        await floor.warm_up(options.warmup)
        stretch = options.seconds / options.rounds
        for turn in range(options.rounds):
            for meter in (app, floor) if turn % 2 == 0 else (floor, app):
                await meter.measure(stretch)
    _report(kind, labels[0], name, app.phase)
    _report(kind, labels[1], name, floor.phase)
    return app.phase, floor.phase


async def _seed(database: BenchDatabase, events: int) -> tuple[Seeded, float]:
    started = time.perf_counter()
    connection = database.connect()
    try:
        seeded = await seed(connection, events)
    finally:
        await connection.dispose()
    await databases.analyze(database)
    return seeded, round(time.perf_counter() - started, 2)


class Requests:
    """The list and booking requests of one side. Both sides send the same windows and slots;
    the app's bookings carry one attendee (the floor has no attendees to insert)."""

    def __init__(
        self, path: str, calendars: Seeded, *, headers: dict[str, str], attendee: int | None
    ) -> None:
        self.path = path
        self.seeded = calendars
        self.headers = headers
        self.attendee = attendee

    def list(self) -> Send:
        windows = _windows()

        def send(client: httpx.AsyncClient) -> Any:
            start, end = next(windows)
            params = {
                "calendarId": self.seeded.list_calendar_id,
                "startDate": start,
                "endDate": end,
            }
            return client.get(self.path, params=params, headers=self.headers)

        return send

    def create(self) -> Send:
        slots = _slots()

        def send(client: httpx.AsyncClient) -> Any:
            start, end = next(slots)
            body: dict[str, Any] = {
                "calendarId": self.seeded.create_calendar_id,
                "title": "Bench booking",
                "startTime": start,
                "endTime": end,
            }
            if self.attendee is not None:
                body["attendeeIds"] = [self.attendee]
            return client.post(self.path, json=body, headers=self.headers)

        return send


def requests_to_app(seeded: Seeded) -> Requests:
    """Requests to the real API: the list endpoint, and bookings with one attendee."""
    return Requests(
        f"/api/v2/w/{seeded.workspace_uuid}/calendar-events",
        seeded,
        headers={"Authorization": f"Bearer {seeded.token}"},
        attendee=seeded.member_id,
    )


def requests_to_floor(seeded: Seeded) -> Requests:
    """The same windows and slots, sent to the floor's bare endpoints."""
    return Requests(f"/w/{seeded.workspace_id}/events", seeded, headers={}, attendee=None)


def _windows() -> Any:
    """Random one-week windows inside the seeded span (the same sequence for app and floor)."""
    rng = random.Random(7)
    days = (LIST_SPAN - WINDOW).days
    while True:
        start = LIST_SPAN_START + timedelta(days=rng.randrange(days))
        yield start.isoformat(), (start + WINDOW).isoformat()


def _slots() -> Any:
    """Back-to-back half hours: every booking is free, so each one runs the whole booking path."""
    for index in itertools.count():
        start = CREATE_SPAN_START + SLOT * index
        yield start.isoformat(), (start + SLOT).isoformat()


def _report(kind: str, label: str, phase_name: str, phase: Phase) -> None:
    summary = phase.summary()
    say(
        f"{kind} {label} {phase_name}: {summary['requests']:,} ok, {summary['errors']} errors, "
        f"{summary['per_second']:,.0f}/s, p50 {summary['p50_ms']:.1f} ms, "
        f"p99 {summary['p99_ms']:.1f} ms, server CPU {summary['server_cpu_cores']:.2f}, "
        f"client CPU {summary['client_cpu_cores']:.2f}"
    )


def load_average() -> float:
    """The 1-minute load average: on a shared machine, how much else wanted the CPUs."""
    return round(os.getloadavg()[0], 2)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run(argv: list[str] | None = None) -> int:
    options = parse(argv)
    results = asyncio.run(main(options))
    json_path, md_path = report.write(results, RESULTS, options.name)
    print(md_path.read_text())
    print(f"Written to {json_path} and {md_path} in {results['total_seconds']:.0f}s.")
    return 0


if __name__ == "__main__":
    sys.exit(run())
