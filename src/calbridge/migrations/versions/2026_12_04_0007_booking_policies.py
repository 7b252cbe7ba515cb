"""calendars: booking policies (notice, advance, buffers, cancellation notice)

Revision ID: 0007_booking_policies
Revises: 0006_ids_never_reused
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_booking_policies"
down_revision: str | None = "0006_ids_never_reused"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ZERO_DEFAULT = (
    "min_notice_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "cancellation_notice_minutes",
)


def upgrade() -> None:
    with op.batch_alter_table("calendars") as batch:
        for name in ZERO_DEFAULT:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("max_advance_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calendars") as batch:
        batch.drop_column("max_advance_days")
        for name in reversed(ZERO_DEFAULT):
            batch.drop_column(name)
