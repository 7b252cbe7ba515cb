"""events.duration_seconds (bounds range queries); NOTIFY from a trigger on PostgreSQL

Revision ID: 0005_event_span_notify
Revises: 0004_event_rules
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_event_span_notify"
down_revision: str | None = "0004_event_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECONDS = {
    "postgresql": "CAST(CEIL(EXTRACT(EPOCH FROM (end_at - start_at))) AS INTEGER)",
    "sqlite": "CAST((julianday(end_at) - julianday(start_at)) * 86400.0 + 0.999 AS INTEGER)",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column("duration_seconds", sa.Integer(), nullable=False, server_default="0")
        )
        batch.create_index(
            "ix_events_calendar_duration", ["calendar_id", "duration_seconds"], unique=False
        )
    op.execute(f"UPDATE events SET duration_seconds = {SECONDS[dialect]}")
    if dialect == "postgresql":
        # One NOTIFY per inserting statement, delivered at commit: workers wake without the
        # booking path paying a round trip for it. The payload is the table's schema, so
        # workers of other schemas sharing the database ignore it.
        op.execute(
            "CREATE FUNCTION calbridge_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN PERFORM pg_notify('calbridge_outbox', TG_TABLE_SCHEMA); RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER outbox_jobs_notify AFTER INSERT ON outbox_jobs "
            "FOR EACH STATEMENT EXECUTE FUNCTION calbridge_outbox_notify()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS outbox_jobs_notify ON outbox_jobs")
        op.execute("DROP FUNCTION IF EXISTS calbridge_outbox_notify()")
    with op.batch_alter_table("events") as batch:
        batch.drop_index("ix_events_calendar_duration")
        batch.drop_column("duration_seconds")
