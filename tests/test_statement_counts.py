"""What one request costs the database (issue 10, point 4): the statements it sends and the
connection checkouts it makes, for a booking, a one-event GET and a list.

Statements are counted where SQLAlchemy hands them to the driver. On SQLite the driver's own
trace callback counts them too, and the two counts must agree, so nothing reaches the database
that SQLAlchemy did not send. (``sqlite3`` names a statement again, values and all, as each of
its trigger programs starts, and lines beginning ``--`` are what triggers and the R*Tree do
inside it; neither counts again, nor does the R*Tree reading its own shadow tables. asyncpg
has no hook that sees prepared statements.)
Transaction control (BEGIN, COMMIT, ROLLBACK) is not counted: every request has exactly one
transaction. Counts, not times: a busy machine cannot change them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from calbridge.db import Database
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA BUSY_TIMEOUT")
# The R*Tree module's own reads of its shadow tables ('main'.'events_span_node' …), as when a
# connection first meets the virtual table after the schema changed; the app never names them.
RTREE_SHADOW = "'events_span_"


def _work(statements: list[str]) -> list[str]:
    return [sql for sql in statements if not sql.lstrip().upper().startswith(TRANSACTION_CONTROL)]


@dataclass
class Cost:
    sent: list[str] = field(default_factory=list)  # by SQLAlchemy
    traced: list[str] = field(default_factory=list)  # by sqlite3's trace callback
    checkouts: int = 0

    @property
    def work(self) -> list[str]:
        return _work(self.sent)

    @property
    def traced_work(self) -> list[str]:
        """What sqlite3 ran, a trigger program's restart of its statement and its insides left
        out (a statement named again at once, values and all, is such a restart)."""
        ran: list[str] = []
        for sql in _work(self.traced):
            if sql.startswith("--") or RTREE_SHADOW in sql or (ran and ran[-1] == sql):
                continue
            ran.append(sql)
        return ran


def _shown(statements: list[str]) -> str:
    return "\n".join(sql[:80] for sql in statements)


@contextmanager
def counted(database: Database) -> Iterator[Cost]:
    cost = Cost()
    engine = database.engine.sync_engine

    def checkout(dbapi_connection: Any, *_: Any) -> None:
        cost.checkouts += 1
        if database.is_sqlite:
            dbapi_connection.run_async(lambda raw: raw.set_trace_callback(cost.traced.append))

    def checkin(dbapi_connection: Any, *_: Any) -> None:
        if database.is_sqlite and dbapi_connection is not None:
            dbapi_connection.run_async(lambda raw: raw.set_trace_callback(None))

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        cost.sent.append(sql)

    event.listen(engine.pool, "checkout", checkout)
    event.listen(engine.pool, "checkin", checkin)
    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield cost
    finally:
        event.remove(engine.pool, "checkout", checkout)
        event.remove(engine.pool, "checkin", checkin)
        event.remove(engine, "before_cursor_execute", statement)


async def test_each_request_makes_one_checkout_and_few_statements(
    test_db: TestDatabase, ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar(allowOverlap=False)
    member = await ws.member()
    booked = await ws.event(calendar["id"], attendeeIds=[member["id"]])  # the token is touched
    body = {
        "calendarId": calendar["id"],
        "title": "Counted",
        "startTime": "2026-04-14T09:00:00Z",
        "endTime": "2026-04-14T09:30:00Z",
        "attendeeIds": [member["id"]],
    }
    window = {
        "calendarId": calendar["id"],
        "startDate": "2026-04-13T00:00:00Z",
        "endDate": "2026-04-20T00:00:00Z",
    }
    with counted(test_db.database) as create:
        assert (await ws.post("/calendar-events", json=body)).status_code == 201
    with counted(test_db.database) as get:
        shown = await ws.get(f"/calendar-events/{booked['id']}")
        assert shown.json()["attendees"][0]["name"] == "Alice"
    with counted(test_db.database) as listing:
        page = await ws.get("/calendar-events", params=window)
        assert [item["title"] for item in page.json()["items"]] == ["Intro call", "Counted"]

    for cost in (create, get, listing):
        assert cost.checkouts == 1, _shown(cost.sent)
        if test_db.kind == "sqlite":
            assert len(cost.traced_work) == len(cost.work), _shown(cost.traced)
    # The token (with its workspace), the event with its calendar, its attendees with names.
    assert len(get.work) == 3, _shown(get.sent)
    # The token, a count, the page with its calendars, the page's attendees.
    assert len(listing.work) == 4, _shown(listing.sent)
    # The token; the calendar with the members (and, on PostgreSQL, the booking's locks); the
    # event, inserted only if its slot is free; its attendees, its history, its outbox job.
    assert len(create.work) == 6, _shown(create.sent)
