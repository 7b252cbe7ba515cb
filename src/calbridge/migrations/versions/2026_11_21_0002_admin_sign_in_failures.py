"""admin sign-in failures (throttling of the admin panel's sign-in)

Revision ID: 0002_admin_sign_in_failures
Revises: 0001_initial
Create Date: 2026-11-21 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_admin_sign_in_failures"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_sign_in_failures")),
    )
    for column in ("email", "client", "failed_at"):
        op.create_index(
            op.f(f"ix_admin_sign_in_failures_{column}"), "admin_sign_in_failures", [column]
        )


def downgrade() -> None:
    for column in ("email", "client", "failed_at"):
        op.drop_index(op.f(f"ix_admin_sign_in_failures_{column}"), "admin_sign_in_failures")
    op.drop_table("admin_sign_in_failures")
