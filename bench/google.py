"""Google sync benchmark: ``python -m bench.google`` → bench/results/google.json and .md.

Measures, against the Google emulator served over HTTP by its own process
(``calbridge-google-emulator``, one uvicorn worker, 127.0.0.1):

- **push throughput**: N bookings are committed while no worker runs (each a real
  ``create_event``: booking rules, event row, ``event.changed`` job), then worker processes
  (``bench.worker``: ``calbridge.outbox.worker.Worker``, default settings but quick polls) are
  started and timed until every ``google.sync`` job is done: N / seconds = events pushed to
  Google per second.
  One worker on SQLite and PostgreSQL, two workers on PostgreSQL.
- **commit-to-Google latency** (p50/p99): one booking at a time, with the worker idle-waiting
  between them (``worker_poll_seconds`` = 5 s, so a result well under that shows it was woken):
  the time from the booking's commit until the emulator answers 200 for its Google copy (polled
  every millisecond). SQLite: the worker runs in the same process as the committer and is woken
  in-process (the embedded default); PostgreSQL: the worker is another process, woken by NOTIFY.

The account's connection is stored directly (a non-expiring access token the emulator was
started with), so no token refresh is in the measured path.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench import databases
from bench.seed import book
from bench.worker import start_workers, stop_workers, worker_settings
from calbridge.account.service import create_account
from calbridge.calendar.models import Calendar
from calbridge.crypto import TokenCipher
from calbridge.db import Database
from calbridge.google.gateway import GoogleGateway
from calbridge.google.models import GoogleConnection
from calbridge.google_sync.sync import google_event_id
from calbridge.google_sync.sync_tasks import GOOGLE_SYNC
from calbridge.jobs import registry
from calbridge.outbox.models import OutboxJob
from calbridge.outbox.worker import Worker
from calbridge.services import Services
from calbridge.settings import Settings
from calbridge.workspace.models import Workspace
from calbridge.workspace.service import create_workspace

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TOKEN = "bench-access-token"
PUSHES = int(os.environ.get("BENCH_GOOGLE_PUSHES", "400"))
SAMPLES = int(os.environ.get("BENCH_GOOGLE_SAMPLES", "100"))


def settings_for(database: databases.BenchDatabase, google: str, poll: float) -> Settings:
    return worker_settings(database, poll, google)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def start_emulator() -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("calbridge-google-emulator")),
        "--host", "127.0.0.1", "--port", str(port), "--access-token", TOKEN,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client, asyncio.timeout(30):
        while True:
            try:
                if (await client.get(f"{url}/_emulator/faults")).status_code == 200:
                    return process, url
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


async def setup(database: Database, settings: Settings) -> tuple[Workspace, int]:
    """A workspace with an account connected by the emulator's access token, and a calendar
    linked to its primary calendar."""
    cipher = TokenCipher.from_settings(settings)
    async with database.transaction() as session:
        workspace = await create_workspace(session, name="Bench", timezone="UTC")
        account = await create_account(session, workspace, name="Bench")
        account.google_calendar_used = True
        session.add(
            GoogleConnection(
                account_id=account.id,
                google_email="testuser@example.com",
                scopes=["https://www.googleapis.com/auth/calendar"],
                access_token_encrypted=cipher.encrypt(TOKEN),
                refresh_token_encrypted=cipher.encrypt("no-refresh-needed"),
                expires_at=None,
            )
        )
        calendar = Calendar(
            workspace_id=workspace.id,
            name="Room",
            timezone="UTC",
            google_account_id=account.id,
            google_calendar_id="primary",
        )
        session.add(calendar)
        await session.flush()
    return workspace, calendar.id


async def sync_jobs_left(database: Database) -> int:
    async with database.session(write=False) as session:
        left = await session.scalar(
            select(func.count())
            .select_from(OutboxJob)
            .where(OutboxJob.status != "done", OutboxJob.kind.in_(("event.changed", GOOGLE_SYNC)))
        )
    return int(left or 0)


async def throughput(kind: str, workers: int, google: str, directory: Path) -> dict[str, Any]:
    bench_db = await databases.create(kind, directory, f"push{workers}")
    settings = settings_for(bench_db, google, 0.05)
    database = bench_db.connect()
    gateway = GoogleGateway(settings)
    try:
        workspace, calendar_id = await setup(database, settings)
        for n in range(PUSHES):
            await book(database, workspace, calendar_id, n, google=gateway)
        started = time.perf_counter()
        processes = await start_workers(bench_db, workers, 0.05, google=google)
        try:
            while await sync_jobs_left(database):  # noqa: ASYNC110 (polls the database)
                await asyncio.sleep(0.05)
        finally:
            elapsed = time.perf_counter() - started
            await stop_workers(processes)
        async with httpx.AsyncClient() as client:
            state = (await client.get(f"{google}/_emulator/state")).json()
        pushed = sum(
            1
            for e in state["events"]
            if e["id"].startswith("cb") and e["summary"].startswith("Bench")
        )
        return {
            "database": kind,
            "workers": workers,
            "events": PUSHES,
            "seconds": round(elapsed, 3),
            "events_per_second": round(PUSHES / elapsed, 1),
            "note": "includes starting the worker processes (about a second)",
            "google_events_total": pushed,
        }
    finally:
        await gateway.aclose()
        await database.dispose()
        await databases.drop(bench_db)
        async with httpx.AsyncClient() as client:
            await client.post(f"{google}/_emulator/reset")


async def latency(kind: str, google: str, directory: Path) -> dict[str, Any]:
    bench_db = await databases.create(kind, directory, "latency")
    settings = settings_for(bench_db, google, 5.0)
    services = Services.build(settings, database=bench_db.connect())
    database = services.database
    processes: list[asyncio.subprocess.Process] = []
    worker: Worker | None = None
    try:
        workspace, calendar_id = await setup(database, settings)
        if kind == "sqlite":
            worker = Worker(services, registry(), name="bench-latency")
            worker.start()
        else:
            processes = await start_workers(
                bench_db, 1, settings.worker_poll_seconds, google=google
            )
        await asyncio.sleep(2.0)  # the worker is up and idle
        samples: list[float] = []
        async with httpx.AsyncClient(base_url=google) as client:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            for n in range(SAMPLES):
                event_id = await book(database, workspace, calendar_id, n, google=services.google)
                committed = time.perf_counter()
                copy = google_event_id(workspace.uuid, event_id)
                path = f"/calendar/v3/calendars/primary/events/{copy}"
                async with asyncio.timeout(30):
                    while (await client.get(path, headers=headers)).status_code != 200:  # noqa: ASYNC110
                        await asyncio.sleep(0.001)
                samples.append((time.perf_counter() - committed) * 1000)
                await asyncio.sleep(0.05)  # idle again
        samples.sort()
        return {
            "database": kind,
            "samples": len(samples),
            "p50_ms": round(statistics.median(samples), 1),
            "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 1),
            "max_ms": round(samples[-1], 1),
            # A sample past the poll interval means the worker slept through the commit.
            "over_poll": sum(1 for ms in samples if ms > settings.worker_poll_seconds * 1000),
            "over_1s": sum(1 for ms in samples if ms > 1000),
            "worker_poll_seconds": settings.worker_poll_seconds,
            "woken_by": "in-process commit listener" if kind == "sqlite" else "NOTIFY",
        }
    finally:
        if worker is not None:
            await worker.stop()
        await services.google.aclose()
        await stop_workers(processes)
        await database.dispose()
        await databases.drop(bench_db)
        async with httpx.AsyncClient() as client:
            await client.post(f"{google}/_emulator/reset")


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Google sync benchmark",
        "",
        f"{results['when']}; emulator over HTTP on 127.0.0.1; {PUSHES} events per push run.",
        "",
        "| database | workers | events | seconds | events/s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in results["throughput"]:
        lines.append(
            f"| {row['database']} | {row['workers']} | {row['events']} | {row['seconds']} "
            f"| {row['events_per_second']} |"
        )
    lines += [
        "",
        "| database | commit→Google p50 ms | p99 ms | max ms | samples | > 1 s | > poll "
        "| woken by |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in results["latency"]:
        lines.append(
            f"| {row['database']} | {row['p50_ms']} | {row['p99_ms']} | {row['max_ms']} "
            f"| {row['samples']} | {row.get('over_1s', '')} | {row.get('over_poll', '')} "
            f"| {row['woken_by']} (poll {row['worker_poll_seconds']} s) |"
        )
    for note in results["skipped"]:
        lines.append(f"\nSkipped: {note}")
    return "\n".join(lines) + "\n"


async def main() -> None:
    emulator, google = await start_emulator()
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "throughput": [],
        "latency": [],
        "skipped": [],
    }
    kinds = ["sqlite"]
    problem = await databases.postgres_problem()
    if problem is None:
        kinds.append("postgresql")
    else:
        results["skipped"].append(f"PostgreSQL: {problem}")
    try:
        with tempfile.TemporaryDirectory() as directory:
            for kind in kinds:
                for workers in (1, 2) if kind == "postgresql" else (1,):
                    row = await throughput(kind, workers, google, Path(directory))
                    print(json.dumps(row), flush=True)
                    results["throughput"].append(row)
                row = await latency(kind, google, Path(directory))
                print(json.dumps(row), flush=True)
                results["latency"].append(row)
    finally:
        emulator.terminate()
        await emulator.wait()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "google.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "google.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    asyncio.run(main())
