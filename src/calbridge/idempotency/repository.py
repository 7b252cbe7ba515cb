"""Every query on the idempotency keys: claiming a key, storing or dropping its response, and
purging expired keys a bounded batch at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.idempotency.models import IdempotencyKey

# Expired keys deleted per claim at most (a claim never waits on a large purge).
PURGE_BATCH = 100


def _the_key(scope: str, key: str) -> tuple[ColumnElement[bool], ...]:
    return IdempotencyKey.scope == scope, IdempotencyKey.key == key


async def lock_key(session: AsyncSession, scope: str, key: str) -> IdempotencyKey | None:
    """The token's key, locked (PostgreSQL), so two retries of a dead request cannot both take
    it over; or None."""
    return await session.scalar(
        select(IdempotencyKey).where(*_the_key(scope, key)).with_for_update()
    )


async def store_response(
    session: AsyncSession,
    scope: str,
    key: str,
    *,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
) -> None:
    await session.execute(
        update(IdempotencyKey)
        .where(*_the_key(scope, key))
        .values(response_status=status, response_headers=headers, response_body=body)
    )


async def drop_key(session: AsyncSession, scope: str, key: str) -> None:
    await session.execute(delete(IdempotencyKey).where(*_the_key(scope, key)))


async def purge_expired(session: AsyncSession, now: datetime) -> None:
    """Deletes up to PURGE_BATCH expired keys of any token. Rows another transaction is
    purging are skipped (PostgreSQL), so concurrent claims never wait on one another here."""
    expired = await session.scalars(
        select(IdempotencyKey.id)
        .where(IdempotencyKey.expires_at <= now)
        .order_by(IdempotencyKey.id)
        .limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
    ids = list(expired)
    if ids:
        await session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(ids)))
