"""Booking with ``googleConflictCheck`` answered by a fresh mirror: ``python -m bench.mirror`` →
bench/results/mirror.json and .md (issue 14, acceptance 6).

For SQLite and PostgreSQL, in one process: bookings of distinct free half-hour slots through
``create_event`` in a transaction each (``bench.seed.book``: booking rules, event row, outbox row,
commit) on two linked calendars of the same account, one with ``googleConflictCheck`` off and
one with it on whose mirror is fresh and holds ``MIRRORED`` Google events (between the booked
slots, so the busy query finds rows near every booking but no clash). Google's base URL points at
a closed port: a booking that called Google would fail (503), so every booking counted was
decided without a Google call. After ``WARMUP`` bookings each (not counted: the first use of a
statement compiles it, and on PostgreSQL prepares it on the connection), the two calendars take
turns: ``ROUNDS`` rounds of ``PER_ROUND`` bookings each, alternating who goes first. The rounds
are short (tens of milliseconds) so that a busy moment of the shared machine falls on both sides
of the ratio rather than on one side's long round. Target: the rate with the check on is within
10% of the rate with it off (the rates are bookings ÷ time over all rounds; the quartiles of
each pair of rounds' ratio show the noise).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench import databases
from bench.google import setup
from bench.mirror_latency import measure_latency
from bench.seed import BOOKING_START, book
from calbridge.calendar.models import Calendar
from calbridge.db import Database
from calbridge.google.gateway import GoogleGateway
from calbridge.google.models import GoogleCalendarSync, GoogleMirrorEvent
from calbridge.settings import Settings
from calbridge.workspace.models import Workspace

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PER_ROUND = int(os.environ.get("BENCH_MIRROR_PER_ROUND", "5"))
ROUNDS = int(os.environ.get("BENCH_MIRROR_ROUNDS", "240"))
WARMUP = 20
MIRRORED = int(os.environ.get("BENCH_MIRROR_EVENTS", "5000"))
LATENCY_SAMPLES = int(os.environ.get("BENCH_MIRROR_LATENCY_SAMPLES", "100"))
CLOSED = "http://127.0.0.1:9"  # nothing listens: a Google call would fail the booking


async def prepare(database: Database, settings: Settings) -> tuple[Workspace, int, int]:
    """The workspace, the calendar with the check off, and the one with it on and a fresh
    mirror of ``MIRRORED`` events."""
    workspace, off_id = await setup(database, settings)
    async with database.transaction() as session:
        off = await session.get(Calendar, off_id)
        assert off is not None
        on = Calendar(
            workspace_id=workspace.id,
            name="Checked",
            timezone="UTC",
            google_account_id=off.google_account_id,
            google_calendar_id="primary",
            google_conflict_check=True,
        )
        session.add(on)
        await session.flush()
        assert on.google_account_id is not None
        state = GoogleCalendarSync(
            calendar_id=on.id,
            account_id=on.google_account_id,
            google_calendar_id="primary",
            sync_token="bench",
            synced_at=datetime.now(UTC) + timedelta(days=1),  # fresh for the whole run
            max_span_seconds=20 * 60,  # as the sync would record for these rows
        )
        session.add(state)
        await session.flush()
        session.add_all(
            GoogleMirrorEvent(
                sync_id=state.id,
                google_event_id=f"bench{n}",
                start_at=BOOKING_START + timedelta(hours=n, minutes=35),
                end_at=BOOKING_START + timedelta(hours=n, minutes=55),
                status="confirmed",
                transparency="opaque",
            )
            for n in range(MIRRORED)
        )
        on_id = on.id
    if not database.is_sqlite:
        async with database.engine.connect() as connection:  # as autovacuum would, after a load
            await connection.execute(text("ANALYZE google_mirror_events"))
            await connection.execute(text("ANALYZE google_calendar_syncs"))
            await connection.commit()
    return workspace, off_id, on_id


async def measure(kind: str, directory: Path) -> dict[str, Any]:
    bench_db = await databases.create(kind, directory, "mirror")
    settings = Settings(
        environment="test",
        database_url=bench_db.url,
        database_schema=bench_db.schema,
        google_base_url=CLOSED,
    )
    google = GoogleGateway(settings)  # the booking check's: the mirror answers, Google never
    database = bench_db.connect()
    try:
        workspace, off_id, on_id = await prepare(database, settings)
        calendars = {"off": off_id, "on": on_id}
        slot = {"off": 0, "on": 0}

        async def take_turn(side: str, bookings: int) -> float:
            started = time.perf_counter()
            for _ in range(bookings):
                await book(database, workspace, calendars[side], slot[side], google=google)
                slot[side] += 1
            return time.perf_counter() - started

        for side in calendars:
            await take_turn(side, WARMUP)
        turns: dict[str, list[float]] = {"off": [], "on": []}
        for round_ in range(ROUNDS):
            order = ("off", "on") if round_ % 2 == 0 else ("on", "off")
            for side in order:
                turns[side].append(await take_turn(side, PER_ROUND))
        rates = {side: ROUNDS * PER_ROUND / sum(turns[side]) for side in turns}
        return {
            "bookings_per_side": ROUNDS * PER_ROUND,
            "mirrored_events": MIRRORED,
            "creates_per_second_check_off": round(rates["off"], 1),
            "creates_per_second_check_on_mirror": round(rates["on"], 1),
            "ratio": round(rates["on"] / rates["off"], 3),
            "ratio_per_round_quartiles": [
                round(q, 3)
                for q in statistics.quantiles(
                    [off / on for off, on in zip(turns["off"], turns["on"], strict=True)], n=4
                )
            ],
        }
    finally:
        await google.aclose()
        await database.dispose()
        await databases.drop(bench_db)


async def main(kinds: tuple[str, ...]) -> None:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as directory:
        for kind in kinds:
            try:
                results[kind] = await measure(kind, Path(directory))
                results[kind]["notification_to_mirror"] = await measure_latency(
                    kind, Path(directory), LATENCY_SAMPLES
                )
            except OSError as error:
                results[kind] = {"skipped": str(error)}
    results["load_average"] = list(os.getloadavg())
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "mirror.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Booking with googleConflictCheck answered by the mirror",
        "",
        "| database | check off (creates/s) | check on, fresh mirror (creates/s) | ratio"
        " | ratio per round: quartiles"
        " | notification → mirror p50 / p99 / max ms (samples, > 2 s) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for kind in kinds:
        row = results[kind]
        if "skipped" in row:
            lines.append(f"| {kind} | skipped: {row['skipped']} | | | | |")
            continue
        late = row["notification_to_mirror"]
        lines.append(
            f"| {kind} | {row['creates_per_second_check_off']} |"
            f" {row['creates_per_second_check_on_mirror']} | {row['ratio']} |"
            f" {' / '.join(str(q) for q in row['ratio_per_round_quartiles'])} |"
            f" {late['p50_ms']} / {late['p99_ms']} / {late['max_ms']}"
            f" ({late['samples']}, {late['over_2s']}) |"
        )
    lines += ["", f"Load average during the run: {results['load_average']}", ""]
    (RESULTS / "mirror.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    chosen = sys.argv[1] if len(sys.argv) > 1 else "both"
    asyncio.run(main(("sqlite", "postgresql") if chosen == "both" else (chosen,)))
