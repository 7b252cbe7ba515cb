"""``mirror.fresh_busy``, the query every booking of a calendar with googleConflictCheck runs
while its mirror is fresh: what it answers, and (PostgreSQL) that the one prepared statement is
planned once per connection, on the mirror's index, instead of at every booking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account.service import create_account
from calbridge.calendar.models import Calendar
from calbridge.google import mirror
from calbridge.google.models import GoogleCalendarSync, GoogleMirrorEvent
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)
DAY = datetime(2027, 3, 2, tzinfo=UTC)
MAX_AGE = 600.0


async def linked(
    session: AsyncSession, ws: WorkspaceFixture, *, synced_at: datetime | None = NOW
) -> tuple[int, int]:
    """A calendar linked to Google and its sync row (fresh at NOW by default): their ids."""
    account = await create_account(session, ws.workspace, name="Linked")
    calendar = Calendar(
        workspace_id=ws.workspace.id,
        name="Checked",
        timezone="UTC",
        google_account_id=account.id,
        google_calendar_id="primary",
        google_conflict_check=True,
    )
    session.add(calendar)
    await session.flush()
    sync = GoogleCalendarSync(
        calendar_id=calendar.id,
        account_id=account.id,
        google_calendar_id="primary",
        sync_token="token",
        synced_at=synced_at,
    )
    session.add(sync)
    await session.flush()
    return calendar.id, sync.id


def mirrored(sync_id: int, name: str, start: datetime, end: datetime, **extra: Any) -> Any:
    return GoogleMirrorEvent(
        sync_id=sync_id,
        google_event_id=name,
        start_at=start,
        end_at=end,
        status=extra.get("status", "confirmed"),
        transparency=extra.get("transparency", "opaque"),
        declined=extra.get("declined", False),
    )


async def test_the_busy_time_meeting_the_window_in_order(
    test_db: TestDatabase, ws: WorkspaceFixture
) -> None:
    window = (DAY + timedelta(hours=10), DAY + timedelta(hours=11))
    async with test_db.database.transaction() as session:
        calendar_id, sync_id = await linked(session, ws)
        _, other_sync = await linked(session, ws)
        hour = timedelta(hours=1)
        session.add_all(
            [
                mirrored(sync_id, "inside", DAY + 10.5 * hour, DAY + 10.75 * hour),
                mirrored(sync_id, "long", DAY, DAY + 10.25 * hour),  # starts 10 h 15 before
                mirrored(sync_id, "across", DAY + 10.9 * hour, DAY + 12 * hour),
                mirrored(sync_id, "ends-at-start", DAY + 9 * hour, DAY + 10 * hour),
                mirrored(sync_id, "starts-at-end", DAY + 11 * hour, DAY + 12 * hour),
                mirrored(
                    sync_id, "cancelled", DAY + 10 * hour, DAY + 11 * hour, status="cancelled"
                ),
                mirrored(
                    sync_id, "free", DAY + 10 * hour, DAY + 11 * hour, transparency="transparent"
                ),
                mirrored(sync_id, "declined", DAY + 10 * hour, DAY + 11 * hour, declined=True),
                mirrored(other_sync, "elsewhere", DAY + 10 * hour, DAY + 11 * hour),
            ]
        )
        # The scan's lower bound: the sync records its longest event (as ``apply`` does).
        for sync in (sync_id, other_sync):
            row = await session.get(GoogleCalendarSync, sync)
            assert row is not None
            row.max_span_seconds = int(10.25 * 3600)

    async with test_db.database.session(write=False) as session:
        busy = await mirror.fresh_busy(session, calendar_id, *window, NOW, MAX_AGE)
        assert busy == [
            (DAY, DAY + timedelta(hours=10.25)),
            (DAY + timedelta(hours=10.5), DAY + timedelta(hours=10.75)),
            (DAY + timedelta(hours=10.9), DAY + timedelta(hours=12)),
        ]
        # Nothing in the window is an answer too; a mirror past its age is none.
        empty = (DAY + timedelta(days=5), DAY + timedelta(days=5, hours=1))
        assert await mirror.fresh_busy(session, calendar_id, *empty, NOW, MAX_AGE) == []
        later = NOW + timedelta(seconds=MAX_AGE + 1)
        assert await mirror.fresh_busy(session, calendar_id, *window, later, MAX_AGE) is None


async def test_a_mirror_never_synced_or_without_a_token_is_not_fresh(
    test_db: TestDatabase, ws: WorkspaceFixture
) -> None:
    async with test_db.database.transaction() as session:
        never, _ = await linked(session, ws, synced_at=None)
        tokenless, sync_id = await linked(session, ws)
        row = await session.get(GoogleCalendarSync, sync_id)
        assert row is not None
        row.sync_token = None
    async with test_db.database.session(write=False) as session:
        for calendar_id in (never, tokenless, -1):
            found = await mirror.fresh_busy(
                session, calendar_id, DAY, DAY + timedelta(hours=1), NOW, MAX_AGE
            )
            assert found is None


async def test_postgresql_plans_the_query_once_per_connection_on_the_index(
    test_db: TestDatabase, ws: WorkspaceFixture
) -> None:
    """PostgreSQL re-plans a prepared statement at every execution while a plan for the given
    values looks cheaper than the generic one; this statement is shaped (the events ordered in
    the LATERAL subquery) so that the generic plan wins after the first five, and that plan
    reads the mirror through its index."""
    if test_db.kind != "postgresql":
        pytest.skip("prepared statements' plans are PostgreSQL's")
    async with test_db.database.transaction() as session:
        calendar_id, sync_id = await linked(session, ws)
        sync = await session.get(GoogleCalendarSync, sync_id)
        assert sync is not None
        sync.max_span_seconds = 20 * 60
        session.add_all(
            mirrored(
                sync_id,
                f"e{n}",
                DAY + timedelta(hours=n, minutes=35),
                DAY + timedelta(hours=n, minutes=55),
            )
            for n in range(5_000)
        )
    async with test_db.database.transaction() as session:  # ANALYZE's statistics commit
        connection = await session.connection()
        for table in ("google_mirror_events", "google_calendar_syncs"):  # as autovacuum would
            await connection.exec_driver_sql(f"ANALYZE {table}")
    async with test_db.database.session(write=False) as session:
        plans = await plans_of_the_query(session)  # this connection may have run it before
        for n in range(12):
            start = DAY + timedelta(hours=n)
            found = await mirror.fresh_busy(
                session, calendar_id, start, start + timedelta(minutes=30), NOW, MAX_AGE
            )
            assert found == []
        name, generic, custom = await plans_of_the_query(session)
        # The first five executions are always planned for their values.
        assert generic - plans[1] >= 7 and custom - plans[2] <= 5, (plans, generic, custom)

        query = mirror._fresh_busy_query(sqlite=False)
        compiled = query.compile(dialect=postgresql.asyncpg.dialect())  # type: ignore[attr-defined]
        values = compiled.construct_params(
            {
                "start_at": DAY,
                "end_at": DAY + timedelta(hours=1),
                "calendar_id": calendar_id,
                "fresh_since": NOW,
            }
        )
        assert compiled.positiontup is not None
        arguments = ", ".join(_literal(values[key]) for key in compiled.positiontup)
        plan = "\n".join(
            (await session.execute(text(f"EXPLAIN EXECUTE {name}({arguments})"))).scalars()
        )
        assert "ix_google_mirror_events_span" in plan, plan
        assert "$1" in plan, plan  # the generic plan, parameters unbound


async def plans_of_the_query(session: AsyncSession) -> tuple[str, int, int]:
    """The statement's name on this connection, and how often it ran on a generic plan and on
    one made for the values (("", 0, 0) before it is first prepared)."""
    found = (
        await session.execute(
            text(
                "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE 'SELECT google_calendar_syncs.id, anon_1.%'"
            )
        )
    ).one_or_none()
    return ("", 0, 0) if found is None else (found[0], found[1], found[2])


def _literal(value: object) -> str:
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'::timestamptz"
    if isinstance(value, int):
        return str(value)
    return f"'{value}'"
