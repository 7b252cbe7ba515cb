"""an interval index on events: GiST over (workspace_id, calendar_id, tstzrange) on PostgreSQL,
an R*Tree kept by triggers on SQLite

Overlap checks and range lists ask "which events share an instant with [S, E)". A B-tree on
start_at can only bound that from one side, so history (and one long event) made them read far
more rows than they return. Both indexes answer it from the interval itself.

SQLite: ``events_span`` holds, per event, its workspace and calendar (as degenerate ranges) and
its [start, end) in Unix seconds. R*Tree coordinates are 32-bit floats rounded outwards, so the
index returns a superset that the query's exact predicate on start_at/end_at then filters. A
later migration that rebuilds ``events`` in SQLite batch mode drops the triggers with the table
and must create them again (``create_sqlite_span_triggers``).

Revision ID: 0017_event_span_index
Revises: 0014_mirror_span
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_event_span_index"
down_revision: str | None = "0014_mirror_span"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SPAN_ROW = (
    "NEW.id, NEW.workspace_id, NEW.workspace_id, NEW.calendar_id, NEW.calendar_id,"
    " unixepoch(NEW.start_at), unixepoch(NEW.end_at)"
)


def create_sqlite_span_triggers() -> None:
    op.execute(
        "CREATE TRIGGER events_span_insert AFTER INSERT ON events BEGIN"
        f" INSERT INTO events_span VALUES ({SPAN_ROW}); END"
    )
    op.execute(
        "CREATE TRIGGER events_span_update AFTER UPDATE OF workspace_id, calendar_id, start_at,"
        f" end_at ON events BEGIN UPDATE events_span SET (id, workspace_lo, workspace_hi,"
        f" calendar_lo, calendar_hi, start_at, end_at) = ({SPAN_ROW}) WHERE id = OLD.id; END"
    )
    op.execute(
        "CREATE TRIGGER events_span_delete AFTER DELETE ON events BEGIN"
        " DELETE FROM events_span WHERE id = OLD.id; END"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_events_span ON events USING gist"
            " (workspace_id, calendar_id, tstzrange(start_at, end_at, '[)'))"
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE events_span USING rtree(id, workspace_lo, workspace_hi,"
        " calendar_lo, calendar_hi, start_at, end_at)"
    )
    op.execute(
        "INSERT INTO events_span SELECT id, workspace_id, workspace_id, calendar_id, calendar_id,"
        " unixepoch(start_at), unixepoch(end_at) FROM events"
    )
    create_sqlite_span_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_events_span")
        return
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER events_span_{trigger}")
    op.execute("DROP TABLE events_span")
