"""Google mirror: per linked calendar a sync state (syncToken, push channel) and the mirrored
Google events calbridge did not create

Revision ID: 0011_google_mirror
Revises: 0010_admin_session_flash
Create Date: 2026-12-04

Existing linked calendars get their sync state from the first scheduler round of a worker
(it makes one for every linked calendar without a state).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_google_mirror"
down_revision: str | None = "0010_admin_session_flash"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "google_calendar_syncs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "calendar_id",
            sa.Integer(),
            sa.ForeignKey(
                "calendars.id",
                ondelete="CASCADE",
                name="fk_google_calendar_syncs_calendar_id_calendars",
            ),
            nullable=False,
        ),
        sa.Column(
            "account_id",
            sa.Integer(),
            sa.ForeignKey(
                "accounts.id",
                ondelete="CASCADE",
                name="fk_google_calendar_syncs_account_id_accounts",
            ),
            nullable=False,
        ),
        sa.Column("google_calendar_id", sa.String(1024), nullable=False),
        sa.Column("sync_token", sa.Text(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel_id", sa.String(64), nullable=True),
        sa.Column("channel_resource_id", sa.String(1024), nullable=True),
        sa.Column("channel_token_hash", sa.String(64), nullable=True),
        sa.Column("channel_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_google_calendar_syncs"),
        sa.UniqueConstraint("calendar_id", name="uq_google_calendar_syncs_calendar_id"),
        sa.UniqueConstraint("channel_id", name="uq_google_calendar_syncs_channel_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_google_calendar_syncs_account_id", "google_calendar_syncs", ["account_id"])
    op.create_table(
        "google_mirror_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "sync_id",
            sa.Integer(),
            sa.ForeignKey(
                "google_calendar_syncs.id",
                ondelete="CASCADE",
                name="fk_google_mirror_events_sync_id_google_calendar_syncs",
            ),
            nullable=False,
        ),
        sa.Column("google_event_id", sa.String(1024), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("transparency", sa.String(16), nullable=False),
        sa.Column("declined", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_google_mirror_events"),
        sa.UniqueConstraint(
            "sync_id", "google_event_id", name="uq_google_mirror_events_sync_id_google_event_id"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_google_mirror_events_span", "google_mirror_events", ["sync_id", "start_at", "end_at"]
    )


def downgrade() -> None:
    op.drop_table("google_mirror_events")
    op.drop_table("google_calendar_syncs")
