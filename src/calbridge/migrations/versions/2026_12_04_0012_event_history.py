"""event history: every change of an event, with its source and actor

Revision ID: 0012_event_history
Revises: 0011_google_mirror
Create Date: 2026-12-04

Events made before have no history of their earlier changes; theirs starts with the next one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_event_history"
down_revision: str | None = "0011_google_mirror"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "event_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("events.id", ondelete="CASCADE", name="fk_event_history_event_id_events"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(320), nullable=True),
        sa.Column("changes", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_event_history"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_event_history_event", "event_history", ["event_id", "id"])


def downgrade() -> None:
    op.drop_table("event_history")
