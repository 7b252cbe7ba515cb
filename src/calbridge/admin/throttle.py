"""Throttling of failed sign-ins, kept in the database so every server process sees the same count.

Each failed sign-in is one row (email as typed, lower-cased; client address). Within
``WINDOW`` a further attempt is refused with 429 once an email has ``MAX_PER_EMAIL`` failures or a
client has ``MAX_PER_CLIENT``; the refusal comes before the password is checked, and reads the
same whether the email exists or not. A successful sign-in clears its email's failures.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from calbridge.db import Base, UTCDateTime, utcnow

WINDOW = timedelta(minutes=15)
MAX_PER_EMAIL = 5
MAX_PER_CLIENT = 20


class SignInFailure(Base):
    __tablename__ = "admin_sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


async def is_throttled(session: AsyncSession, *, email: str, client: str) -> bool:
    since = utcnow() - WINDOW
    recent = SignInFailure.failed_at > since
    by_email = await session.scalar(
        select(func.count()).where(recent, SignInFailure.email == email)
    )
    if (by_email or 0) >= MAX_PER_EMAIL:
        return True
    by_client = await session.scalar(
        select(func.count()).where(recent, SignInFailure.client == client)
    )
    return (by_client or 0) >= MAX_PER_CLIENT


async def record_failure(session: AsyncSession, *, email: str, client: str) -> None:
    # Old rows serve no purpose; pruning here keeps the table as small as the window.
    await session.execute(delete(SignInFailure).where(SignInFailure.failed_at <= utcnow() - WINDOW))
    session.add(SignInFailure(email=email, client=client))
    await session.flush()


async def clear_failures(session: AsyncSession, *, email: str) -> None:
    await session.execute(delete(SignInFailure).where(SignInFailure.email == email))
