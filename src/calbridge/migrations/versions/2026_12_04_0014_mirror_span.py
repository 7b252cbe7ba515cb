"""google_calendar_syncs.max_span_seconds: the longest mirrored event, a lower bound for the
busy query's index scan

Revision ID: 0014_mirror_span
Revises: 0013_google_sync_mode
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_mirror_span"
down_revision: str | None = "0013_google_sync_mode"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECONDS = {
    "postgresql": "CAST(CEIL(EXTRACT(EPOCH FROM (end_at - start_at))) AS INTEGER)",
    "sqlite": "CAST((julianday(end_at) - julianday(start_at)) * 86400.0 + 0.999 AS INTEGER)",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("google_calendar_syncs") as batch:
        batch.add_column(
            sa.Column("max_span_seconds", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE google_calendar_syncs SET max_span_seconds = COALESCE((SELECT"
        f" MAX({SECONDS[dialect]}) FROM google_mirror_events"
        " WHERE google_mirror_events.sync_id = google_calendar_syncs.id), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("google_calendar_syncs") as batch:
        batch.drop_column("max_span_seconds")
