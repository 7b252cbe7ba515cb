"""``python -m bench.statements``: what one request costs the database (issue 10, point 4):
statements sent through the driver and connection checkouts, for a booking create, a one-event
GET and a list, on SQLite and PostgreSQL, the app in process on a fresh migrated database.

Counts, not times: they are the same on a busy machine. Printed as a table.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from bench import databases
from bench.databases import BenchDatabase
from calbridge.app import create_app
from calbridge.auth.scopes import ALL_SCOPES
from calbridge.auth.service import create_token
from calbridge.calendar.models import Calendar
from calbridge.db import Database
from calbridge.settings import Settings
from calbridge.workspace.models import Member
from calbridge.workspace.service import create_workspace

REQUESTS = 5  # of each kind, after one warm-up; the counts are per request


@contextmanager
def counting(database: Database) -> Iterator[Counter[str]]:
    """Statements the driver is sent (by their first word) and pool checkouts, meanwhile."""
    counts: Counter[str] = Counter()
    engine = database.engine.sync_engine

    def statement(*args: Any) -> None:
        counts["statements"] += 1
        counts[args[2].split(None, 1)[0].upper()] += 1

    def checkout(*_: Any) -> None:
        counts["checkouts"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine.pool, "checkout", checkout)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine.pool, "checkout", checkout)


async def measure(bench_db: BenchDatabase) -> dict[str, Counter[str]]:
    database = bench_db.connect()
    async with database.transaction() as session:
        workspace = await create_workspace(session, name="Count", timezone="Europe/Amsterdam")
        token = (await create_token(session, workspace, scopes=list(ALL_SCOPES), name="c")).secret
        member = Member(workspace_id=workspace.id, name="Ada", email="ada@count.example")
        calendar = Calendar(
            workspace_id=workspace.id, name="Room", timezone="UTC", allow_overlap=False
        )
        session.add_all([member, calendar])
        await session.flush()
        ids = workspace.uuid, member.id, calendar.id
    uuid, member_id, calendar_id = ids
    settings = Settings(
        environment="test",
        database_url=bench_db.url,
        database_schema=bench_db.schema,
        secret_key=databases.SECRET_KEY,
    )
    app = create_app(settings, database=database)
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/api/v2/w/{uuid}/calendar-events"
    results: dict[str, Counter[str]] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://x", headers=headers) as c:
        made: list[int] = []

        async def create(n: int) -> httpx.Response:
            body = {
                "calendarId": calendar_id,
                "title": "Counted",
                "startTime": f"2030-01-{1 + n // 20:02d}T{n % 20:02d}:00:00Z",
                "endTime": f"2030-01-{1 + n // 20:02d}T{n % 20:02d}:30:00Z",
                "attendeeIds": [member_id],
            }
            response = await c.post(base, json=body)
            assert response.status_code == 201, response.text
            made.append(response.json()["id"])
            return response

        async def get(n: int) -> httpx.Response:
            return await c.get(f"{base}/{made[n % len(made)]}")

        async def listing(_: int) -> httpx.Response:
            window = {"startDate": "2030-01-01T00:00:00Z", "endDate": "2030-01-08T00:00:00Z"}
            return await c.get(base, params={"calendarId": calendar_id, **window})

        for name, send in (("create", create), ("get", get), ("list", listing)):
            await send(0 if name != "create" else 99)  # warm-up
            with counting(database) as counts:
                for n in range(REQUESTS):
                    response = await send(n)
                    assert response.status_code in (200, 201), response.text
            results[name] = counts
    await database.dispose()
    return results


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="calbridge-count-") as directory:
        kinds = ["sqlite"]
        if await databases.postgres_problem() is None:
            kinds.append("postgresql")
        for kind in kinds:
            bench_db = await databases.create(kind, Path(directory), "count")
            try:
                results = await measure(bench_db)
            finally:
                await databases.drop(bench_db)
            print(f"\n## {kind} (per request)\n")
            print("| request | statements | checkouts | of which |")
            print("|---|---|---|---|")
            for name, counts in results.items():
                kinds_of = ", ".join(
                    f"{word} {count / REQUESTS:g}"
                    for word, count in sorted(counts.items())
                    if word not in ("statements", "checkouts")
                )
                print(
                    f"| {name} | {counts['statements'] / REQUESTS:g} | "
                    f"{counts['checkouts'] / REQUESTS:g} | {kinds_of} |"
                )


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
