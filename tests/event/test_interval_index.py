"""The overlap check and the list are answered by the interval index (issue 10, point 5): on a
freshly migrated database with no ANALYZE, a calendar with a long history and one 30-day event,
their plans search the R*Tree (SQLite) or the GiST index (PostgreSQL) and never scan the events
table; and the index follows inserts, moves and deletes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.engine import Connection

from calbridge.event import repository
from calbridge.event.models import Event
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase

HISTORY = datetime(2026, 1, 5, tzinfo=UTC)
HISTORY_EVENTS = 3_000


async def seed_history(
    test_db: TestDatabase, ws: WorkspaceFixture, calendar_id: int, *, analyzed: bool
) -> None:
    """A 30-day event, then an event every 10 minutes: the history an overlap check must skip;
    ``analyzed``: then ANALYZE, as SQLite's PRAGMA optimize or PostgreSQL's autovacuum would
    (``test_interval_index_analyzed``)."""
    now = datetime.now(UTC)
    spans = [(HISTORY - timedelta(days=30), HISTORY)] + [
        (HISTORY + timedelta(minutes=10 * i), HISTORY + timedelta(minutes=10 * i + 5))
        for i in range(HISTORY_EVENTS)
    ]
    rows = [
        {
            "workspace_id": ws.workspace.id,
            "calendar_id": calendar_id,
            "title": f"Past {index}",
            "start_at": start,
            "end_at": end,
            "duration_seconds": int((end - start).total_seconds()),
            "status": "confirmed",
            "meta": {},
            "exclusive": True,
            "version": 1,
            "google_sync_status": "not_linked",
            "created_at": now,
            "updated_at": now,
        }
        for index, (start, end) in enumerate(spans)
    ]
    async with test_db.database.transaction() as session:
        await session.execute(insert(Event), rows)
        if analyzed:
            await session.execute(text("ANALYZE"))
            # The planner now knows the table's size (without statistics it guesses).
            known = (
                "SELECT CAST(substr(stat, 1, instr(stat, ' ')) AS INTEGER) FROM sqlite_stat1"
                " WHERE tbl = 'events' AND idx = 'ix_events_calendar_start'"
                if test_db.kind == "sqlite"
                else "SELECT reltuples FROM pg_class WHERE oid = 'events'::regclass"
            )
            assert await session.scalar(text(known)) >= HISTORY_EVENTS


@contextmanager
def statements(test_db: TestDatabase) -> Iterator[list[tuple[str, Any]]]:
    """The SQL (and its driver parameters) that the database is sent meanwhile."""
    seen: list[tuple[str, Any]] = []

    def remember(
        _conn: Connection, _cursor: Any, sql: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        seen.append((sql, parameters))

    engine = test_db.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", remember)


async def plan_of(test_db: TestDatabase, sql: str, parameters: Any) -> str:
    explain = "EXPLAIN QUERY PLAN " if test_db.kind == "sqlite" else "EXPLAIN "
    # A write session: its transaction is what SET LOCAL applies to (reads run in autocommit).
    async with test_db.database.session(write=True) as session:
        connection = await session.connection()
        if test_db.kind == "postgresql":
            # As if sorting looked dear (as it can without statistics): a B-tree that gave the
            # order would now win, so only a query no B-tree can order passes.
            await connection.exec_driver_sql("SET LOCAL enable_sort = off")
        rows = await connection.exec_driver_sql(explain + sql, parameters)
        return "\n".join(" ".join(str(value) for value in row) for row in rows)


def assert_uses_the_interval_index(kind: str, plan: str) -> None:
    if kind == "sqlite":
        # The R*Tree is searched, and events are then read by id only: no index range over a
        # calendar's history, no scan.
        assert "SCAN events_span VIRTUAL TABLE INDEX" in plan, plan
        reads = [line for line in plan.splitlines() if " events " in f"{line} "]
        assert reads and all("INTEGER PRIMARY KEY (rowid=?)" in line for line in reads), plan
    else:
        assert "ix_events_span" in plan or "events_no_overlap" in plan, plan
        assert "Seq Scan on events" not in plan, plan


async def test_the_overlap_check_searches_the_interval_index(
    test_db: TestDatabase, ws: WorkspaceFixture
) -> None:
    await the_overlap_check_searches_the_interval_index(test_db, ws, analyzed=False)


async def the_overlap_check_searches_the_interval_index(
    test_db: TestDatabase, ws: WorkspaceFixture, *, analyzed: bool
) -> None:
    calendar = await ws.calendar()
    await seed_history(test_db, ws, calendar["id"], analyzed=analyzed)
    after = HISTORY + timedelta(minutes=10 * HISTORY_EVENTS)

    with statements(test_db) as seen:
        async with test_db.database.session(write=False) as session:
            found = await repository.busy_between(
                session, [calendar["id"]], after, after + timedelta(minutes=30)
            )
    assert found == []
    [(sql, parameters)] = [(sql, p) for sql, p in seen if "FROM events" in sql]
    assert_uses_the_interval_index(test_db.kind, await plan_of(test_db, sql, parameters))

    # The answer is still exact at the edges: the last event and the 30-day one.
    async with test_db.database.session(write=False) as session:
        last = await repository.busy_between(
            session, [calendar["id"]], after - timedelta(minutes=6), after
        )
        long = await repository.busy_between(
            session, [calendar["id"]], HISTORY - timedelta(days=2), HISTORY - timedelta(days=1)
        )
    assert [(row[2], row[3]) for row in last] == [
        (after - timedelta(minutes=10), after - timedelta(minutes=5))
    ]
    assert [(row[2], row[3]) for row in long] == [(HISTORY - timedelta(days=30), HISTORY)]


async def test_a_booking_checks_its_slot_on_the_interval_index(
    test_db: TestDatabase, ws: WorkspaceFixture
) -> None:
    await a_booking_checks_its_slot_on_the_interval_index(test_db, ws, analyzed=False)


async def a_booking_checks_its_slot_on_the_interval_index(
    test_db: TestDatabase, ws: WorkspaceFixture, *, analyzed: bool
) -> None:
    """A new event's overlap check is inside its INSERT (``WHERE NOT EXISTS``)."""
    calendar = await ws.calendar(allowOverlap=False)
    await seed_history(test_db, ws, calendar["id"], analyzed=analyzed)
    after = HISTORY + timedelta(minutes=10 * HISTORY_EVENTS)
    body = {"calendarId": calendar["id"], "title": "Next", "startTime": after.isoformat()}

    with statements(test_db) as seen:
        booked = await ws.post(
            "/calendar-events",
            json={**body, "endTime": (after + timedelta(minutes=30)).isoformat()},
        )
    assert booked.status_code == 201, booked.text
    [(sql, parameters)] = [(sql, p) for sql, p in seen if sql.startswith("INSERT INTO events")]
    assert "NOT (EXISTS" in sql, sql
    assert_uses_the_interval_index(test_db.kind, await plan_of(test_db, sql, parameters))

    # Refused at the edges of the history, by the event in the way.
    for start, end, in_the_way in (
        (after - timedelta(minutes=6), after - timedelta(minutes=1), "Past 3000"),
        (HISTORY - timedelta(days=2), HISTORY - timedelta(days=1), "Past 0"),
    ):
        refused = await ws.post(
            "/calendar-events",
            json={**body, "startTime": start.isoformat(), "endTime": end.isoformat()},
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "slot_conflict"
        listed = await ws.get(
            "/calendar-events",
            params={
                "calendarId": calendar["id"],
                "startDate": start.isoformat(),
                "endDate": end.isoformat(),
            },
        )
        [blocking] = listed.json()["items"]
        assert blocking["title"] == in_the_way
        assert f"overlaps event {blocking['id']}" in refused.json()["detail"]


async def test_the_list_searches_the_interval_index(
    test_db: TestDatabase, ws: WorkspaceFixture
) -> None:
    await the_list_searches_the_interval_index(test_db, ws, analyzed=False)


async def the_list_searches_the_interval_index(
    test_db: TestDatabase, ws: WorkspaceFixture, *, analyzed: bool
) -> None:
    calendar = await ws.calendar()
    await seed_history(test_db, ws, calendar["id"], analyzed=analyzed)
    window = {"startDate": "2026-01-10T00:00:00", "endDate": "2026-01-10T01:00:00"}

    for params in ({**window, "calendarId": calendar["id"]}, window):
        with statements(test_db) as seen:
            listed = await ws.get("/calendar-events", params=params)
        assert listed.status_code == 200, listed.text
        assert listed.json()["total"] == 6  # 00:00 .. 00:50, every 10 minutes
        ranged = [(sql, p) for sql, p in seen if "FROM events" in sql and "attendees" not in sql]
        assert ranged, seen
        for sql, parameters in ranged:
            assert_uses_the_interval_index(test_db.kind, await plan_of(test_db, sql, parameters))


async def test_the_index_follows_moves_and_deletes(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar()
    booked = await ws.event(
        calendar["id"], startTime="2026-04-13T09:00:00", endTime="2026-04-13T10:00:00"
    )
    moved = await ws.put(
        f"/calendar-events/{booked['id']}",
        json={"startTime": "2026-04-13T14:00:00", "endTime": "2026-04-13T15:00:00"},
    )
    assert moved.status_code == 200, moved.text

    def booking(start: str, end: str) -> dict[str, Any]:
        return {
            "calendarId": calendar["id"],
            "title": "Next",
            "startTime": f"2026-04-13T{start}:00",
            "endTime": f"2026-04-13T{end}:00",
        }

    conflict = await ws.post("/calendar-events", json=booking("14:30", "15:30"))
    assert conflict.status_code == 409, conflict.text
    freed = await ws.post("/calendar-events", json=booking("09:00", "10:00"))
    assert freed.status_code == 201, freed.text

    deleted = await ws.delete(f"/calendar-events/{booked['id']}", token="admin")
    assert deleted.status_code == 200, deleted.text
    again = await ws.post("/calendar-events", json=booking("14:30", "15:30"))
    assert again.status_code == 201, again.text
