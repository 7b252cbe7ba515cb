"""Event rules benchmark: ``python -m bench.rules`` → bench/results/rules.json and .md.

Per database (a SQLite file; a PostgreSQL schema of its own), with a webhook receiver on
127.0.0.1 served by this process (plain asyncio HTTP/1.1, answers 200 with an empty body at once):

- **webhook deliveries per second, one worker**: a workspace with ``--rules`` enabled rules
  (trigger ``event.created``, one webhook action each, to the receiver), ``--bookings`` bookings
  committed while no worker runs (``bench.seed.book``); then one worker process
  (``bench.worker``) is started and timed until the receiver has had every delivery (bookings times
  rules). Two rates: from the worker's start (includes starting the process and the
  ``event.changed`` → ``rules.run`` fan-out before the first delivery), and steady (first to last
  delivery at the receiver).
- **what rules cost a booking request**: the real app is served twice (uvicorn, as
  ``bench.run`` does), on two databases seeded alike, one without rules and one with
  ``--rules`` rules that all match every booking; booking creates/s are measured in turns
  (``bench.run.compare``) with no worker running. A request writes one ``event.changed`` row
  whatever the rules (they are read only by the worker), so the ratio should be 1 within noise.

Webhooks to 127.0.0.1 need ``CALBRIDGE_WEBHOOK_ALLOWED_PRIVATE_HOSTS='["127.0.0.1"]'``; it is
set for every server and worker started here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench import databases, report
from bench.load import Meter
from bench.run import RESULTS, compare, load_average, requests_to_app, say
from bench.seed import Seeded, book, seed
from bench.server import APP, serve
from bench.worker import start_workers, stop_workers
from calbridge.crypto import TokenCipher
from calbridge.db import Database, utcnow
from calbridge.event.service import EVENT_CHANGED
from calbridge.google.gateway import GoogleGateway
from calbridge.outbox.models import OutboxJob
from calbridge.rules.actions.jobs import RUN_ACTION
from calbridge.rules.evaluate import evaluate
from calbridge.rules.models import EventRule, RuleRunAction
from calbridge.rules.schemas import RuleCreate
from calbridge.rules.service import create_rule, spec
from calbridge.settings import Settings
from calbridge.workspace.models import Workspace

ALLOWED = {"CALBRIDGE_WEBHOOK_ALLOWED_PRIVATE_HOSTS": '["127.0.0.1"]'}
DRAIN_TIMEOUT_SECONDS = 600.0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.rules", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rules", type=int, default=20, help="enabled rules (20)")
    parser.add_argument("--bookings", type=int, help="bookings for the delivery run (50; quick 10)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (8)")
    parser.add_argument("--seconds", type=float, help="measured seconds per side (15; quick 3)")
    parser.add_argument("--warmup", type=float, help="warm-up seconds per side (3; quick 1)")
    parser.add_argument("--rounds", type=int, default=3, help="turns each side takes (3)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    options = parser.parse_args(argv)
    options.bookings = options.bookings or (10 if options.quick else 50)
    options.seconds = options.seconds or (3.0 if options.quick else 15.0)
    if options.warmup is None:
        options.warmup = 1.0 if options.quick else 3.0
    options.name = "rules-quick" if options.quick else "rules"
    return options


class Receiver:
    """Answers every request 200 at once and notes when each ``webhook-id`` arrived."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str]] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive: one request after another until the client closes
                head = await reader.readuntil(b"\r\n\r\n")
                headers = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                await reader.readexactly(int(headers.get("content-length", "0")))
                self.arrivals.append((time.perf_counter(), headers.get("webhook-id", "")))
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()


async def add_rules(database: Database, workspace_id: int, count: int, url: str) -> None:
    """``count`` enabled rules that act on every booking: one webhook to ``url`` each."""
    # The workers' key ring: the same key as theirs.
    cipher = TokenCipher.from_settings(Settings(secret_key=databases.SECRET_KEY))
    async with database.transaction() as session:
        workspace = await session.get(Workspace, workspace_id)
        assert workspace is not None
        for index in range(count):
            data = RuleCreate.model_validate(
                {
                    "name": f"Bench rule {index}",
                    "triggers": ["event.created"],
                    "actions": [{"type": "webhook", "url": url}],
                }
            )
            await create_rule(session, workspace, data, cipher=cipher)


async def seeded_database(
    kind: str, directory: Path, label: str, rules: int, url: str
) -> tuple[databases.BenchDatabase, Seeded]:
    """A fresh database with the bench workspace (no events) and ``rules`` rules."""
    bench_db = await databases.create(kind, directory, label)
    database = bench_db.connect()
    try:
        seeded = await seed(database, 0)
        await add_rules(database, seeded.workspace_id, rules, url)
    finally:
        await database.dispose()
    return bench_db, seeded


async def deliveries(
    kind: str, directory: Path, receiver: Receiver, url: str, options: argparse.Namespace
) -> dict[str, Any]:
    bench_db, seeded = await seeded_database(kind, directory, "deliveries", options.rules, url)
    database = bench_db.connect()
    try:
        async with database.session(write=False) as session:
            workspace = await session.get(Workspace, seeded.workspace_id)
        assert workspace is not None
        # The calendar checks no Google busy time: this gateway is never called.
        google = GoogleGateway(Settings(secret_key=databases.SECRET_KEY))
        for n in range(options.bookings):
            await book(database, workspace, seeded.create_calendar_id, n, google=google)
        expected = options.bookings * options.rules
        receiver.arrivals.clear()
        started = time.perf_counter()
        workers = await start_workers(bench_db, 1, 0.05, env=ALLOWED)
        try:
            async with asyncio.timeout(DRAIN_TIMEOUT_SECONDS):
                while len(receiver.arrivals) < expected or await _actions_left(database):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
        finally:
            elapsed = time.perf_counter() - started
            await stop_workers(workers)
        statuses = await _action_statuses(database)
    finally:
        await database.dispose()
        await databases.drop(bench_db)
    times = [at for at, _ in receiver.arrivals]
    steady = times[-1] - times[0] if len(times) > 1 else 0.0
    result = {
        "rules": options.rules,
        "bookings": options.bookings,
        "deliveries_expected": expected,
        "deliveries_received": len(receiver.arrivals),
        "distinct_webhook_ids": len({webhook_id for _, webhook_id in receiver.arrivals}),
        "action_statuses": statuses,
        "seconds": round(elapsed, 3),
        "per_second": round(expected / elapsed, 1),
        "steady_seconds": round(steady, 3),
        "steady_per_second": round((len(times) - 1) / steady, 1) if steady else None,
    }
    say(
        f"{kind} deliveries: {result['deliveries_received']} of {expected} in {elapsed:.1f}s "
        f"({result['per_second']}/s from the worker's start, {result['steady_per_second']}/s "
        f"steady), actions {statuses}"
    )
    return result


async def _actions_left(database: Database) -> int:
    """Jobs that still lead to a delivery: the fan-out, the rule runs and the deliveries."""
    async with database.session(write=False) as session:
        left = await session.scalar(
            select(func.count())
            .select_from(OutboxJob)
            .where(OutboxJob.status != "done", OutboxJob.kind.in_((EVENT_CHANGED, RUN_ACTION)))
        )
    return int(left or 0)


async def _action_statuses(database: Database) -> dict[str, int]:
    async with database.session(write=False) as session:
        rows = await session.execute(
            select(RuleRunAction.status, func.count()).group_by(RuleRunAction.status)
        )
    return {status: count for status, count in rows}


async def booking_cost(
    kind: str, directory: Path, url: str, options: argparse.Namespace
) -> dict[str, Any]:
    created: list[databases.BenchDatabase] = []
    try:
        plain_db, plain = await seeded_database(kind, directory, "norules", 0, url)
        created.append(plain_db)
        rules_db, with_rules = await seeded_database(kind, directory, "rules", options.rules, url)
        created.append(rules_db)
        async with (
            serve(APP, {**plain_db.env(), **ALLOWED}) as plain_server,
            serve(APP, {**rules_db.env(), **ALLOWED}) as rules_server,
        ):
            without, with_ = await compare(
                kind,
                "create",
                Meter(
                    plain_server,
                    requests_to_app(plain).create(),
                    expect=201,
                    concurrency=options.concurrency,
                ),
                Meter(
                    rules_server,
                    requests_to_app(with_rules).create(),
                    expect=201,
                    concurrency=options.concurrency,
                ),
                options,
                labels=("0 rules", f"{options.rules} rules"),
            )
        matching = await _rules_matching_a_booking(rules_db)
    finally:
        for database in created:
            await databases.drop(database)
    ratio = report.ratio(with_.summary()["per_second"], without.summary()["per_second"])
    return {
        "rules": options.rules,
        "rules_matching_each_booking": matching,
        "without_rules": without.summary(),
        "with_rules": with_.summary(),
        "creates_ratio_with_to_without": ratio,
    }


async def _rules_matching_a_booking(bench_db: databases.BenchDatabase) -> int:
    """How many of the stored rules would act on the last booking's ``event.changed`` job (all
    of them, if the setup is what it claims): evaluated as the worker would, without a worker."""
    database = bench_db.connect()
    try:
        async with database.session(write=False) as session:
            job = await session.scalar(
                select(OutboxJob)
                .where(OutboxJob.kind == EVENT_CHANGED)
                .order_by(OutboxJob.id.desc())
                .limit(1)
            )
            rules = (await session.scalars(select(EventRule))).all()
    finally:
        await database.dispose()
    if job is None:
        return 0
    payload, now = job.payload, utcnow()
    return sum(
        1
        for rule in rules
        if evaluate(spec(rule), payload["change"], payload.get("before"), payload.get("after"), now)
    )


async def main(options: argparse.Namespace) -> dict[str, Any]:
    kinds = ["sqlite", "postgresql"] if options.db == "both" else [options.db]
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"load_average_at_start": load_average()},
        "options": {
            "rules": options.rules,
            "bookings": options.bookings,
            "concurrency": options.concurrency,
            "seconds": options.seconds,
            "warmup_seconds": options.warmup,
            "rounds": options.rounds,
        },
        "databases": {},
    }
    started = time.perf_counter()
    receiver = Receiver()
    url = await receiver.start()
    try:
        with tempfile.TemporaryDirectory(prefix="calbridge-bench-rules-") as directory:
            for kind in kinds:
                if kind == "postgresql":
                    problem = await databases.postgres_problem()
                    if problem is not None:
                        say(f"postgresql: skipped ({problem})")
                        results["databases"][kind] = {"status": "skipped", "reason": problem}
                        continue
                results["databases"][kind] = {
                    "status": "ok",
                    "deliveries": await deliveries(kind, Path(directory), receiver, url, options),
                    "booking_cost": await booking_cost(kind, Path(directory), url, options),
                }
    finally:
        await receiver.stop()
    results["machine"]["load_average_at_end"] = load_average()
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    return results


def markdown(results: dict[str, Any]) -> str:
    options, machine = results["options"], results["machine"]
    lines = [
        f"# Event rules benchmark, {results['started_at']}",
        "",
        f"{options['rules']} enabled rules (trigger `event.created`, one webhook each) · "
        f"receiver on 127.0.0.1 answering 200 at once · load average (1 min) "
        f"{machine['load_average_at_start']:.1f} at the start, "
        f"{machine['load_average_at_end']:.1f} at the end (2 shared CPUs).",
        "",
        "Webhook deliveries, one worker process:",
        "",
        "| database | bookings | deliveries received / expected | distinct webhook-ids "
        "| seconds | deliveries/s | steady deliveries/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, result in results["databases"].items():
        if result["status"] != "ok":
            lines.append(f"| {kind} | skipped: {result['reason']} | | | | | |")
            continue
        d = result["deliveries"]
        lines.append(
            f"| {kind} | {d['bookings']} | {d['deliveries_received']} / "
            f"{d['deliveries_expected']} | {d['distinct_webhook_ids']} | {d['seconds']} "
            f"| {d['per_second']} | {d['steady_per_second']} |"
        )
    lines += [
        "",
        f"Booking creates/s with 0 and with {options['rules']} enabled rules (real app, "
        f"{options['concurrency']} requests in flight, {options['seconds']:g} s per side in "
        f"{options['rounds']} turns, no worker running):",
        "",
        "| database | creates/s, 0 rules | creates/s, rules | ratio | p50 ms (0 / rules) "
        "| p99 ms (0 / rules) | rules matching each booking |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, result in results["databases"].items():
        if result["status"] != "ok":
            continue
        cost = result["booking_cost"]
        without, with_ = cost["without_rules"], cost["with_rules"]
        lines.append(
            f"| {kind} | {without['per_second']:,.0f} | {with_['per_second']:,.0f} "
            f"| {cost['creates_ratio_with_to_without']:.2f} "
            f"| {without['p50_ms']:.1f} / {with_['p50_ms']:.1f} "
            f"| {without['p99_ms']:.1f} / {with_['p99_ms']:.1f} "
            f"| {cost['rules_matching_each_booking']} |"
        )
    return "\n".join(lines) + "\n"


def run(argv: list[str] | None = None) -> int:
    options = parse(argv)
    results = asyncio.run(main(options))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{options.name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"{options.name}.md").write_text(markdown(results))
    print(markdown(results))
    print(f"Written to {RESULTS / options.name}.json and .md in {results['total_seconds']:.0f}s.")
    return 0


if __name__ == "__main__":
    sys.exit(run())
