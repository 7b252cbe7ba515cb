"""google connections and oauth states

Revision ID: 0003_google_connections
Revises: 0002_admin_sign_in_failures
Create Date: 2026-11-21 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_google_connections"
down_revision: str | None = "0002_admin_sign_in_failures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "google_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("google_email", sa.String(length=320), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("access_token_encrypted", sa.Text(), nullable=False),
        sa.Column("refresh_token_encrypted", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_google_connections_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_google_connections")),
        sa.UniqueConstraint("account_id", name=op.f("uq_google_connections_account_id")),
    )
    op.create_table(
        "google_oauth_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("binding_hash", sa.String(length=64), nullable=False),
        sa.Column("code_verifier_encrypted", sa.Text(), nullable=False),
        sa.Column("return_to", sa.String(length=1024), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_google_oauth_states_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_google_oauth_states")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_google_oauth_states_state_hash")),
    )
    op.create_index(
        op.f("ix_google_oauth_states_account_id"), "google_oauth_states", ["account_id"]
    )
    op.create_index(
        op.f("ix_google_oauth_states_expires_at"), "google_oauth_states", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_google_oauth_states_expires_at"), "google_oauth_states")
    op.drop_index(op.f("ix_google_oauth_states_account_id"), "google_oauth_states")
    op.drop_table("google_oauth_states")
    op.drop_table("google_connections")
