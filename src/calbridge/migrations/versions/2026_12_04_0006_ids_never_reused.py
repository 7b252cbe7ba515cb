"""ids never reused: SQLite tables become AUTOINCREMENT; events get a random uid

Revision ID: 0006_ids_never_reused
Revises: 0005_event_span_notify
Create Date: 2026-12-04

SQLite gives a deleted row's id (the highest) to the next insert unless the table was created
``AUTOINCREMENT``, which cannot be added in place: every table with a single integer key is
rebuilt (batch mode copies the rows, their ids, indexes and foreign keys), and SQLite then
records the highest id in ``sqlite_sequence`` so it is never handed out again. PostgreSQL's
serial columns never go back, so nothing changes there but the new column.

``events.uid`` is random and fixed when an event is made: its Google copy's id and its ETag
derive from it. Events made before stay NULL and keep the id derived from their workspace and
event id (their Google copies already carry it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_ids_never_reused"
down_revision: str | None = "0005_event_span_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Parents before children, so each copy's foreign keys point at a table already rebuilt.
TABLES = [
    "workspaces",
    "admin_users",
    "admin_sign_in_failures",
    "idempotency_keys",
    "outbox_jobs",
    "accounts",
    "api_tokens",
    "event_rules",
    "members",
    "calendars",
    "google_connections",
    "google_oauth_states",
    "rule_runs",
    "events",
    "rule_run_actions",
    "webhook_deliveries",
]


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("uid", sa.String(length=32), nullable=True))
    if bind.dialect.name != "sqlite":
        return
    # Dropping a parent table with foreign keys enforced would first delete its rows, cascading
    # into the children: the rebuild is only safe with enforcement off (as Alembic's own
    # connection has it; the pragma cannot be changed inside the migration's transaction).
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("run this migration with SQLite foreign keys off")
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("uid")
