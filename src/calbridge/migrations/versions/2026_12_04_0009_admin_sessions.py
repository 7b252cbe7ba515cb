"""admin sessions kept on the server; sign-in throttle counters replace the failure log

Revision ID: 0009_admin_sessions
Revises: 0008_outbox_request_id
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_admin_sessions"
down_revision: str | None = "0008_outbox_request_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["admin_users.id"],
            name=op.f("fk_admin_sessions_user_id_admin_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_admin_sessions_token_hash")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_admin_sessions_user_id"), "admin_sessions", ["user_id"])
    op.create_index(op.f("ix_admin_sessions_expires_at"), "admin_sessions", ["expires_at"])
    op.create_table(
        "admin_sign_in_throttle",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_admin_sign_in_throttle")),
    )
    op.create_index(
        op.f("ix_admin_sign_in_throttle_last_attempt_at"),
        "admin_sign_in_throttle",
        ["last_attempt_at"],
    )
    for column in ("email", "client", "failed_at"):
        op.drop_index(op.f(f"ix_admin_sign_in_failures_{column}"), "admin_sign_in_failures")
    op.drop_table("admin_sign_in_failures")


def downgrade() -> None:
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
    op.drop_table("admin_sign_in_throttle")
    op.drop_table("admin_sessions")
