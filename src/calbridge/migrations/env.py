"""Alembic environment: runs migrations over the async engine of calbridge."""

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from calbridge.db import connect_args
from calbridge.models import Base
from calbridge.settings import get_settings

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    return config.attributes.get("database_url") or get_settings().database_url


def schema() -> str | None:
    # A caller that names the database names its schema too (None included): reading the
    # settings then would be wrong, and could generate a secret key file for no reason.
    if config.attributes.get("database_url"):
        schema: str | None = config.attributes.get("schema")
        return schema
    return get_settings().database_schema


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    # With a schema (tests give each run one), its alembic_version lives there too, so a stray
    # public.alembic_version can never make a fresh schema look migrated.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        version_table_schema=schema(),
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_async_engine(
        database_url(), poolclass=pool.NullPool, connect_args=connect_args(database_url(), schema())
    )
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(run_migrations_online())
