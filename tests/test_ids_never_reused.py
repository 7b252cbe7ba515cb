"""Ids are never reused (CONTRACT §1.1): a deleted event, calendar, member or rule leaves its id
unused for ever, on SQLite and PostgreSQL, and an ETag taken before a delete matches nothing
after it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from sqlalchemy import Integer, text

from calbridge.db import Base
from calbridge.migrate import alembic_config, upgrade
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase

RULE = {
    "name": "Notify",
    "triggers": ["event.created"],
    "actions": [{"type": "webhook", "url": "https://hooks.example.com/calbridge"}],
}


async def _created_id(ws: WorkspaceFixture, path: str, body: dict[str, object]) -> int:
    response = await ws.post(path, json=body, token="all")
    assert response.status_code == 201, response.text
    created: int = response.json()["id"]
    return created


async def _deleted(ws: WorkspaceFixture, path: str) -> None:
    response = await ws.delete(path, token="all")
    assert response.status_code == 200, response.text


async def test_the_newest_deleted_ids_are_not_handed_out_again(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar(name="Keep")
    kinds = {
        "/calendars": {"name": "Room", "timezone": "UTC"},
        "/members": {"name": "Bob", "email": "bob@example.com"},
        "/event-rules": RULE,
        "/calendar-events": {
            "calendarId": calendar["id"],
            "title": "Call",
            "startTime": "2026-04-13T09:00:00",
            "endTime": "2026-04-13T09:30:00",
        },
    }
    for path, body in kinds.items():
        # The newest row is the one SQLite without AUTOINCREMENT would hand out again.
        first = await _created_id(ws, path, body)
        await _deleted(ws, f"{path}/{first}")
        second = await _created_id(ws, path, body)
        assert second > first, path
        await _deleted(ws, f"{path}/{second}")
        third = await _created_id(ws, path, body)
        assert third > second, path


async def test_an_etag_taken_before_a_delete_matches_nothing_after_it(
    ws: WorkspaceFixture,
) -> None:
    calendar = await ws.calendar()
    old = await ws.event(calendar["id"])
    old_etag = (await ws.get(f"/calendar-events/{old['id']}")).headers["ETag"]
    await _deleted(ws, f"/calendar-events/{old['id']}")

    new = await ws.event(calendar["id"])  # same calendar, same slot, same version
    fetched = await ws.get(f"/calendar-events/{new['id']}")
    assert fetched.headers["ETag"] != old_etag
    stale = await ws.put(
        f"/calendar-events/{new['id']}", json={"title": "Hijacked"}, headers={"If-Match": old_etag}
    )
    assert stale.status_code == 412, stale.text
    assert (await ws.get(f"/calendar-events/{new['id']}")).json()["title"] == "Intro call"


async def test_every_table_with_an_integer_id_never_reuses_it(test_db: TestDatabase) -> None:
    """Tokens, accounts, rule runs, jobs…: every id column, checked on the schema itself."""
    async with test_db.database.session(write=False) as session:
        for table in Base.metadata.sorted_tables:
            keys = list(table.primary_key.columns)
            if len(keys) != 1 or not isinstance(keys[0].type, Integer):
                continue
            if test_db.kind == "sqlite":
                sql = await session.scalar(
                    text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
                    {"name": table.name},
                )
                assert sql is not None and "AUTOINCREMENT" in sql, table.name
            else:
                # serial: a sequence, which never goes back (nextval is not rolled back either).
                sequence = await session.scalar(
                    text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
                )
                assert sequence is not None, table.name


def test_the_migration_keeps_every_row_of_an_existing_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0005_event_span_notify")
    now = "2026-04-13 09:00:00"
    with sqlite3.connect(tmp_path / "old.db") as db:
        db.execute(
            "INSERT INTO workspaces (id, uuid, name, timezone, created_at) "
            "VALUES (1, '6f1c1c61-8e5e-4c4f-9c43-0d8d3f1f0b6e', 'Acme', 'UTC', ?)",
            (now,),
        )
        db.execute(
            "INSERT INTO calendars (id, workspace_id, name, timezone, allow_overlap, "
            "google_conflict_check, created_at, updated_at) VALUES (1, 1, 'A', 'UTC', 1, 0, ?, ?)",
            (now, now),
        )
        db.execute(
            "INSERT INTO members (id, workspace_id, name, email, created_at, updated_at) "
            "VALUES (1, 1, 'Alice', 'alice@example.com', ?, ?)",
            (now, now),
        )
        for event_id in (1, 2, 3):
            db.execute(
                "INSERT INTO events (id, workspace_id, calendar_id, title, start_at, end_at, "
                "status, metadata, exclusive, version, google_sync_status, created_at, "
                "updated_at) VALUES (?, 1, 1, ?, ?, ?, 'confirmed', '{}', 0, 1, 'not_linked', "
                "?, ?)",
                (event_id, f"Event {event_id}", now, now, now, now),
            )
            db.execute(
                "INSERT INTO attendees (event_id, member_id, position, response_status) "
                "VALUES (?, 1, 0, 'accepted')",
                (event_id,),
            )

    upgrade(url)

    with sqlite3.connect(tmp_path / "old.db") as db:
        assert db.execute("SELECT id, title, uid FROM events ORDER BY id").fetchall() == [
            (1, "Event 1", None),
            (2, "Event 2", None),
            (3, "Event 3", None),
        ]
        assert db.execute("SELECT count(*) FROM attendees").fetchone() == (3,)
        assert db.execute("SELECT name FROM calendars").fetchall() == [("A",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        db.execute("DELETE FROM attendees WHERE event_id = 3")
        db.execute("DELETE FROM events WHERE id = 3")
        db.execute(
            "INSERT INTO events (workspace_id, calendar_id, title, start_at, end_at, status, "
            "metadata, exclusive, version, google_sync_status, created_at, updated_at) "
            "VALUES (1, 1, 'New', ?, ?, 'confirmed', '{}', 0, 1, 'not_linked', ?, ?)",
            (now, now, now, now),
        )
        assert db.execute("SELECT max(id) FROM events").fetchone() == (4,)
