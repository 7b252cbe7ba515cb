"""Every query on the Google connections (one per account): find one, store a grant, save
refreshed tokens, mark one broken. The token writes are guarded by the refresh token they used,
so a reconnect made in the meantime is never overwritten."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.db import utcnow
from calbridge.google.models import ACTIVE, BROKEN, GoogleConnection


async def get_connection(session: AsyncSession, account_id: int) -> GoogleConnection | None:
    return await session.scalar(
        select(GoogleConnection).where(GoogleConnection.account_id == account_id)
    )


async def connection_for(session: AsyncSession, account_id: int) -> GoogleConnection:
    """The account's connection, a new one (added to the session) if it has none."""
    connection = await get_connection(session, account_id)
    if connection is None:
        connection = GoogleConnection(account_id=account_id)
        session.add(connection)
    return connection


async def save_refreshed(
    session: AsyncSession, connection_id: int, used_refresh: str | None, values: dict[str, object]
) -> None:
    """Store refreshed tokens, if the connection still holds the refresh token ``used_refresh``."""
    await session.execute(
        update(GoogleConnection)
        .where(
            GoogleConnection.id == connection_id,
            GoogleConnection.refresh_token_encrypted == used_refresh,
        )
        .values(**values)
    )


async def mark_broken(
    session: AsyncSession, connection_id: int, used_refresh: str | None, error: str
) -> None:
    """Only the grant that was used: a reconnect in the meantime replaced the refresh token."""
    await session.execute(
        update(GoogleConnection)
        .where(
            GoogleConnection.id == connection_id,
            GoogleConnection.status == ACTIVE,
            GoogleConnection.refresh_token_encrypted == used_refresh,
        )
        .values(status=BROKEN, last_error=error, updated_at=utcnow())
    )
