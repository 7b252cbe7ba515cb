"""calendars.google_sync_mode: push (default) or two_way

Revision ID: 0013_google_sync_mode
Revises: 0012_event_history
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_google_sync_mode"
down_revision: str | None = "0012_event_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calendars") as batch:
        batch.add_column(
            sa.Column("google_sync_mode", sa.String(16), nullable=False, server_default="push")
        )


def downgrade() -> None:
    with op.batch_alter_table("calendars") as batch:
        batch.drop_column("google_sync_mode")
