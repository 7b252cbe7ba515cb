"""``python -m bench.perf``: issue 10's measurements, the app against an independent floor.

For each database one fresh database (migrated by calbridge) holds, besides a workspace, a token
and a member: a calendar of 10,000 events, a calendar that forbids overlap holding 1,000,000
events and one 30-day event, and two empty calendars that forbid overlap (one for the app's
bookings, one for the floor's). The app (``calbridge.app``, one uvicorn process) and the floor
(``bench.bare``: Starlette on the raw driver, no calbridge code, one uvicorn process) serve the
same database and take turns under the same load, phase by phase:

create (1 and 16 clients) on an empty calendar · one-event GET (1 client) · list of a random week
of the 10k and of the 1M calendar (1 client; and 16 clients on the 10k one) · create (16 clients)
right after the 1M events, where the 30-day event is in the calendar's history. Last, the app
alone: 50 clients booking for 30 s (``--soak-seconds``), where every answer must be a 201.

Figures go to ``bench/results/perf-<name>.json`` and ``.md``, with the ratios and targets of
issue 10, and the table is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx

from bench import databases, report
from bench.databases import BenchDatabase
from bench.load import Meter, Phase, Send
from bench.run import compare, load_average, say
from bench.server import APP, serve
from calbridge.auth.scopes import ALL_SCOPES
from calbridge.auth.service import create_token
from calbridge.calendar.models import Calendar
from calbridge.workspace.models import Member
from calbridge.workspace.service import create_workspace

RESULTS = Path(__file__).resolve().parent / "results"
BARE = "bench.bare:bare_app"
TIMEZONE = "Europe/Amsterdam"
HISTORY_START = datetime(2027, 1, 4, tzinfo=UTC)
SPACING = timedelta(minutes=10)  # events of 5 or 10 minutes, back to back at most
LONG_EVENT = timedelta(days=30)
EMPTY_START = datetime(2070, 1, 6, tzinfo=UTC)
SLOT = timedelta(minutes=30)
WEEK = timedelta(days=7)
EVENT_COLUMNS = (
    "workspace_id",
    "calendar_id",
    "title",
    "start_at",
    "end_at",
    "duration_seconds",
    "status",
    "metadata",
    "exclusive",
    "version",
    "uid",
    "google_sync_status",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class Seeded:
    workspace_uuid: str
    token: str
    member_id: int
    small: int  # 10k events, overlap allowed
    big: int  # the long event then the 1M events, overlap forbidden
    empty_app: int
    empty_floor: int
    small_ids: tuple[int, int]  # first and last event id of the small calendar
    small_events: int
    big_events: int
    big_end: datetime  # the end of the big calendar's last event


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.perf", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--big", type=int, default=1_000_000, help="events of the big calendar")
    parser.add_argument("--small", type=int, default=10_000, help="events of the small one")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds a phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds a phase")
    parser.add_argument("--rounds", type=int, default=2, help="turns app and floor take a phase")
    parser.add_argument(
        "--soak-seconds", type=float, default=30.0, help="the 50-client booking run, app only"
    )
    parser.add_argument("--quick", action="store_true", help="20k big, 2 s phases: a smoke run")
    parser.add_argument("--name", help="results name (perf; quick runs: perf-quick)")
    options = parser.parse_args(argv)
    if options.quick:
        options.big, options.small, options.seconds, options.warmup = 20_000, 2_000, 2.0, 0.5
        options.soak_seconds = 5.0
    options.name = options.name or ("perf-quick" if options.quick else "perf")
    return options


async def seed_objects(database: BenchDatabase) -> dict[str, Any]:
    """The workspace, token, member and calendars, through calbridge's own services."""
    connection = database.connect()
    try:
        async with connection.transaction() as session:
            workspace = await create_workspace(session, name="Perf", timezone=TIMEZONE)
            issued = await create_token(session, workspace, scopes=list(ALL_SCOPES), name="perf")
            member = Member(workspace_id=workspace.id, name="Ada", email="ada@perf.example")
            calendars = {
                name: Calendar(
                    workspace_id=workspace.id, name=name, timezone=TIMEZONE, allow_overlap=overlap
                )
                for name, overlap in (
                    ("small", True),
                    ("big", False),
                    ("empty_app", False),
                    ("empty_floor", False),
                )
            }
            session.add_all([member, *calendars.values()])
            await session.flush()
            return {
                "workspace_id": workspace.id,
                "workspace_uuid": workspace.uuid,
                "token": issued.secret,
                "member_id": member.id,
                **{name: calendar.id for name, calendar in calendars.items()},
            }
    finally:
        await connection.dispose()


def event_rows(
    workspace_id: int, calendar_id: int, indexes: range, *, exclusive: bool, long_first: bool
) -> Iterator[tuple[Any, ...]]:
    """The events ``indexes`` of a calendar whose events start at HISTORY_START, one every 10
    minutes, 5 or 10 minutes long; with ``long_first``, the part holding event 0 starts with a
    30-day event just before them."""
    rng = random.Random(f"{calendar_id}:{indexes.start}")
    now = datetime.now(UTC)
    spans: Iterator[tuple[datetime, datetime]] = (
        (start, start + timedelta(minutes=rng.choice((5, 10))))
        for start in (HISTORY_START + SPACING * index for index in indexes)
    )
    if long_first and indexes.start == 0:
        first = (HISTORY_START - LONG_EVENT, HISTORY_START)
        spans = itertools.chain([first], spans)
    for index, (start, end) in enumerate(spans, start=indexes.start):
        seconds = int((end - start).total_seconds())
        yield (
            *(workspace_id, calendar_id, f"Seeded {index}", start, end, seconds, "confirmed"),
            *("{}", exclusive, 1, os.urandom(16).hex(), "not_linked", now, now),
        )


def split(count: int, how_many: int) -> list[range]:
    """``range(count)`` cut into ``how_many`` runs of consecutive indexes."""
    size = -(-count // how_many)
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


def sqlite_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


async def bulk_insert(database: BenchDatabase, streams: list[Iterator[tuple[Any, ...]]]) -> None:
    """Events straight through the driver: executemany in one transaction on SQLite, one stream
    after another; on PostgreSQL, each stream COPYed on a connection of its own, all at once.
    Most of a PostgreSQL load is spent inserting into the two GiST indexes (the interval index
    and the exclusion constraint's, about 25 and 50 µs a row here), which one backend does on
    one core; side by side, the streams keep both cores busy (1M events: 88 s in one stream)."""
    if database.kind == "sqlite":
        path = database.url.split("///", 1)[1]
        marks = ", ".join("?" * len(EVENT_COLUMNS))
        sql = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({marks})"

        def insert() -> None:
            with sqlite3.connect(path) as connection:
                for rows in streams:
                    connection.executemany(sql, (tuple(map(sqlite_text, row)) for row in rows))

        await asyncio.to_thread(insert)
        return

    async def copy(rows: Iterator[tuple[Any, ...]]) -> None:
        connection = await asyncpg.connect(databases._plain(database.url))
        try:
            await connection.copy_records_to_table(
                "events", records=rows, columns=EVENT_COLUMNS, schema_name=database.schema
            )
        finally:
            await connection.close()

    await asyncio.gather(*(copy(rows) for rows in streams))


async def first_and_last(database: BenchDatabase, calendar_id: int) -> tuple[int, int]:
    sql = "SELECT min(id), max(id) FROM events WHERE calendar_id = "
    if database.kind == "sqlite":
        path = database.url.split("///", 1)[1]
        with sqlite3.connect(path) as connection:
            low, high = connection.execute(sql + "?", (calendar_id,)).fetchone()
        return int(low), int(high)
    connection = await asyncpg.connect(
        databases._plain(database.url), server_settings={"search_path": database.schema or ""}
    )
    try:
        row = await connection.fetchrow(sql + "$1", calendar_id)
    finally:
        await connection.close()
    return int(row[0]), int(row[1])


async def seed(database: BenchDatabase, options: argparse.Namespace) -> tuple[Seeded, float]:
    started = time.perf_counter()
    made = await seed_objects(database)
    workspace_id = made["workspace_id"]
    small = event_rows(
        workspace_id, made["small"], range(options.small), exclusive=False, long_first=False
    )
    await bulk_insert(database, [small])
    await bulk_insert(
        database,
        [
            event_rows(workspace_id, made["big"], part, exclusive=True, long_first=True)
            for part in split(options.big, os.cpu_count() or 1)
        ],
    )
    await databases.analyze(database)
    seeded = Seeded(
        workspace_uuid=made["workspace_uuid"],
        token=made["token"],
        member_id=made["member_id"],
        small=made["small"],
        big=made["big"],
        empty_app=made["empty_app"],
        empty_floor=made["empty_floor"],
        small_ids=await first_and_last(database, made["small"]),
        small_events=options.small,
        big_events=options.big,
        big_end=HISTORY_START + SPACING * options.big,
    )
    return seeded, round(time.perf_counter() - started, 1)


class Side:
    """The requests of one side (app or floor): same slots, windows and ids, own paths."""

    def __init__(self, seeded: Seeded, *, app: bool) -> None:
        self.seeded = seeded
        base = f"/api/v2/w/{seeded.workspace_uuid}/calendar-events" if app else None
        self.events = base or f"/w/{seeded.workspace_uuid}/events"
        self.headers = {"Authorization": f"Bearer {seeded.token}"}
        self.empty = seeded.empty_app if app else seeded.empty_floor
        self.empty_slots = (EMPTY_START + SLOT * index for index in itertools.count())
        # The big calendar is shared: the app books the even half hours after its history,
        # the floor the odd ones, so both book right next to the million events.
        offset = 0 if app else 1
        self.big_slots = (
            seeded.big_end + SLOT * (2 * index + offset) for index in itertools.count()
        )

    def create(self, calendar_id: int, slots: Iterator[datetime]) -> Send:
        def send(client: httpx.AsyncClient) -> Any:
            start = next(slots)
            body = {
                "calendarId": calendar_id,
                "title": "Perf booking",
                "startTime": start.isoformat(),
                "endTime": (start + SLOT).isoformat(),
                "attendeeIds": [self.seeded.member_id],
            }
            return client.post(self.events, json=body, headers=self.headers)

        return send

    def create_empty(self) -> Send:
        return self.create(self.empty, self.empty_slots)

    def create_big(self) -> Send:
        return self.create(self.seeded.big, self.big_slots)

    def get(self) -> Send:
        rng = random.Random(11)
        low, high = self.seeded.small_ids

        def send(client: httpx.AsyncClient) -> Any:
            return client.get(f"{self.events}/{rng.randint(low, high)}", headers=self.headers)

        return send

    def list(self, calendar_id: int, events: int) -> Send:
        rng = random.Random(calendar_id)
        weeks = max(1, int(SPACING * events / WEEK) - 1)

        def send(client: httpx.AsyncClient) -> Any:
            start = HISTORY_START + WEEK * rng.randrange(weeks)
            params = {
                "calendarId": calendar_id,
                "startDate": start.isoformat(),
                "endDate": (start + WEEK).isoformat(),
            }
            return client.get(self.events, params=params, headers=self.headers)

        return send


PHASES: tuple[tuple[str, str, int, int], ...] = (
    # (name, request kind, clients, expected status)
    ("create_1", "create_empty", 1, 201),
    ("create_16", "create_empty", 16, 201),
    ("get_1", "get", 1, 200),
    ("list_10k_1", "list_small", 1, 200),
    ("list_1m_1", "list_big", 1, 200),
    ("list_10k_16", "list_small", 16, 200),
    ("create_1m_16", "create_big", 16, 201),
)


SOAK, SOAK_CLIENTS = "create_50_soak", 50


def sender(side: Side, kind: str) -> Send:
    if kind == "list_small":
        return side.list(side.seeded.small, side.seeded.small_events)
    if kind == "list_big":
        return side.list(side.seeded.big, side.seeded.big_events)
    send: Send = getattr(side, kind)()
    return send


async def bench_database(kind: str, directory: Path, options: argparse.Namespace) -> dict[str, Any]:
    if kind == "postgresql":
        problem = await databases.postgres_problem()
        if problem is not None:
            say(f"postgresql: skipped ({problem})")
            return {"status": "skipped", "reason": problem}
    database = await databases.create(kind, directory, "perf")
    try:
        seeded, seed_seconds = await seed(database, options)
        say(f"{kind}: seeded {options.big + options.small + 1:,} events in {seed_seconds}s")
        phases: dict[str, dict[str, Any]] = {}
        floor_env = (
            {"BARE_SQLITE_PATH": database.url.split("///", 1)[1]}
            if kind == "sqlite"
            else {
                "BARE_POSTGRES_DSN": databases._plain(database.url),
                "BARE_POSTGRES_SCHEMA": database.schema or "",
            }
        )
        async with serve(APP, database.env()) as app, serve(BARE, floor_env) as floor:
            app_side, floor_side = Side(seeded, app=True), Side(seeded, app=False)
            for name, request, clients, status in PHASES:
                measured: tuple[Phase, Phase] = await compare(
                    kind,
                    name,
                    Meter(app, sender(app_side, request), expect=status, concurrency=clients),
                    Meter(floor, sender(floor_side, request), expect=status, concurrency=clients),
                    options,
                )
                phases[name] = {"app": measured[0].summary(), "floor": measured[1].summary()}
            async with Meter(
                app, app_side.create_empty(), expect=201, concurrency=SOAK_CLIENTS
            ) as soak:
                await soak.measure(options.soak_seconds)
            say(f"{kind}: {SOAK_CLIENTS} clients booking: {soak.phase.summary()}")
            phases[SOAK] = {"app": soak.phase.summary()}
    finally:
        await databases.drop(database)
    return {"status": "ok", "seed_seconds": seed_seconds, "phases": phases}


def judge(
    kind: str, phases: dict[str, dict[str, Any]], *, seeded: int, seed_seconds: float
) -> list[dict[str, Any]]:
    """Issue 10's targets, each with its figure (seeding's only for a calendar of 1M events)."""

    def rate(name: str, side: str = "app") -> float:
        return float(phases[name][side]["per_second"])

    def p(name: str, which: str, side: str = "app") -> float:
        return float(phases[name][side][f"{which}_ms"])

    def ratio(name: str) -> float:
        floor = rate(name, "floor")
        return rate(name) / floor if floor else 0.0

    create_target, get_target = (0.15, 0.25) if kind == "sqlite" else (0.25, 0.3)
    checks = [
        ("create, 16 clients, app ÷ floor", ratio("create_16"), ">=", create_target),
        ("one-event GET, 1 client, app ÷ floor", ratio("get_1"), ">=", get_target),
        (
            "list p99 on the 1M calendar, app ÷ floor",
            p("list_1m_1", "p99") / max(p("list_1m_1", "p99", "floor"), 1e-9),
            "<=",
            3.0,
        ),
        (
            "create rate beside 1M events and a 30-day one ÷ on an empty calendar",
            rate("create_1m_16") / max(rate("create_16"), 1e-9),
            ">=",
            0.8,
        ),
        (
            f"{SOAK_CLIENTS} clients booking: answers other than 201",
            float(phases[SOAK]["app"]["errors"]),
            "<=",
            0,
        ),
        (
            "list p99, 1M calendar ÷ 10k calendar",
            p("list_1m_1", "p99") / max(p("list_10k_1", "p99"), 1e-9),
            "<=",
            1.25,
        ),
    ]
    if seeded >= 1_000_000:
        checks.append((f"seconds to seed {seeded:,} events", seed_seconds, "<", 60.0))
    if kind == "sqlite":
        checks.append(
            (
                "create p99 ÷ p50, 16 clients",
                p("create_16", "p99") / max(p("create_16", "p50"), 1e-9),
                "<=",
                10.0,
            )
        )
    return [
        {
            "target": name,
            "figure": round(value, 3),
            "wanted": f"{op} {goal}",
            "met": {">=": value >= goal, "<=": value <= goal, "<": value < goal}[op],
        }
        for name, value, op, goal in checks
    ]


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# calbridge against the independent floor — {results['started_at']}",
        "",
        f"Load average {results['load_average_at_start']} at start, "
        f"{results['load_average_at_end']} at end; {results['options']}.",
    ]
    for kind, outcome in results["databases"].items():
        lines += ["", f"## {kind}", ""]
        if outcome["status"] != "ok":
            lines.append(f"skipped: {outcome['reason']}")
            continue
        lines += [
            "| phase | app /s | floor /s | app ÷ floor | app p50 / p99 ms | floor p50 / p99 ms |",
            "|---|---|---|---|---|---|",
        ]
        for name, measured in outcome["phases"].items():
            app, floor = measured["app"], measured.get("floor")
            if floor is None:  # the app alone
                lines.append(
                    f"| {name} | {app['per_second']:,.0f} | — | — | "
                    f"{app['p50_ms']:.1f} / {app['p99_ms']:.1f} | {app['errors']} errors |"
                )
                continue
            share = app["per_second"] / floor["per_second"] if floor["per_second"] else 0.0
            lines.append(
                f"| {name} | {app['per_second']:,.0f} | {floor['per_second']:,.0f} | "
                f"{share:.2f} | {app['p50_ms']:.1f} / {app['p99_ms']:.1f} | "
                f"{floor['p50_ms']:.1f} / {floor['p99_ms']:.1f} |"
            )
        lines += ["", "| target | figure | wanted | met |", "|---|---|---|---|"]
        for check in outcome["targets"]:
            met = "yes" if check["met"] else "**no**"
            lines.append(f"| {check['target']} | {check['figure']} | {check['wanted']} | {met} |")
    return "\n".join(lines) + "\n"


async def main(options: argparse.Namespace) -> dict[str, Any]:
    kinds = ["sqlite", "postgresql"] if options.db == "both" else [options.db]
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_at_start": load_average(),
        "options": {
            "big": options.big,
            "small": options.small,
            "seconds": options.seconds,
            "rounds": options.rounds,
        },
        "databases": {},
    }
    with tempfile.TemporaryDirectory(prefix="calbridge-perf-") as directory:
        for kind in kinds:
            outcome = await bench_database(kind, Path(directory), options)
            if outcome["status"] == "ok":
                outcome["targets"] = judge(
                    kind,
                    outcome["phases"],
                    seeded=options.big + options.small + 1,
                    seed_seconds=outcome["seed_seconds"],
                )
            results["databases"][kind] = outcome
    results["load_average_at_end"] = load_average()
    return results


def run(argv: list[str] | None = None) -> int:
    options = parse(argv)
    results = asyncio.run(main(options))
    report.save(results, RESULTS, options.name, markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(run())
