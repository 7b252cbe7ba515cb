"""admin_sessions.flash_encrypted: show-once values across a POST-redirect-GET

Revision ID: 0010_admin_session_flash
Revises: 0009_admin_sessions
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_admin_session_flash"
down_revision: str | None = "0009_admin_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("admin_sessions") as batch:
        batch.add_column(sa.Column("flash_encrypted", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("admin_sessions") as batch:
        batch.drop_column("flash_encrypted")
