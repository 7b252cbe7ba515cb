"""Throttling of failed sign-ins: atomic on both databases, slowing rather than locking out.

Every attempt first *reserves* its password check, in a short transaction of its own, against
three counters (rows keyed by what they count):

- the email from this client (``MAX_PER_EMAIL`` checks free, then exponential delays),
- this client, whatever the email (``MAX_PER_CLIENT`` free: one client guessing many accounts),
- the email from anywhere (``MAX_PER_EMAIL_ANYWHERE`` free: guesses spread over many clients).

A reservation is allowed only when no counter asks to wait; it counts one more failure on each
and sets the next allowed moment: after ``free`` failures, 1 s, then 2, 4, 8 … up to
``MAX_DELAY``. The rows are locked while they are read and written (``FOR UPDATE`` on
PostgreSQL; SQLite's write transactions are serialised), so concurrent attempts, from any number
of processes, get at most ``free`` checks between them. A refused attempt changes nothing and is
told when to try again; the check never runs, so the answer is the same whether the email exists.
A successful sign-in clears its email's counters. The owner of an email an attacker is guessing
at signs in from their own client: only the whole-email counter, with its high allowance, is
shared with the attacker. A counter left alone for ``WINDOW`` starts again from zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from calbridge.db import Base, Database, UTCDateTime, utcnow

MAX_PER_EMAIL = 5
MAX_PER_CLIENT = 20
MAX_PER_EMAIL_ANYWHERE = 50
MAX_DELAY = timedelta(minutes=15)
WINDOW = timedelta(hours=1)


class SignInThrottle(Base):
    __tablename__ = "admin_sign_in_throttle"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


@dataclass(frozen=True)
class Refused:
    retry_after: int  # seconds


def _keys(email: str, client: str) -> dict[str, int]:
    """Each counter of an attempt and its free failures (read at call time: tests lower them)."""
    return {
        f"email:{email}|client:{client}": MAX_PER_EMAIL,
        f"client:{client}": MAX_PER_CLIENT,
        f"email:{email}": MAX_PER_EMAIL_ANYWHERE,
    }


def delay_after(failures: int, free: int) -> timedelta:
    if failures < free:
        return timedelta()
    return min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_DELAY)


async def reserve(database: Database, *, email: str, client: str) -> Refused | None:
    """Reserve one password check (committed before the check runs), or say how long to wait."""
    now = utcnow()
    async with database.session(write=True) as session:
        # Always the same order, so two attempts never wait on each other's rows crosswise.
        for key, free in sorted(_keys(email, client).items()):
            row = await _locked_row(session, key, now)
            if row.next_attempt_at > now:
                wait = math.ceil((row.next_attempt_at - now).total_seconds())
                await session.rollback()  # counters already passed are not charged either
                return Refused(max(1, wait))
            if row.last_attempt_at < now - WINDOW:
                row.failures = 0
            row.failures += 1
            row.last_attempt_at = now
            row.next_attempt_at = now + delay_after(row.failures, free)
        await session.commit()
    return None


async def _locked_row(session: AsyncSession, key: str, now: datetime) -> SignInThrottle:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.execute(
        dialect.insert(SignInThrottle)
        .values(key=key, failures=0, next_attempt_at=now, last_attempt_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    row = await session.scalar(
        select(SignInThrottle)
        .where(SignInThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def clear(session: AsyncSession, *, email: str, client: str) -> None:
    """After a successful sign-in: its email's counters start again (the client's does not, or
    one good account would reset a client's guessing at others). Counters nobody touched for
    ``WINDOW`` are dropped too, keeping the table small."""
    keys = [f"email:{email}|client:{client}", f"email:{email}"]
    await session.execute(delete(SignInThrottle).where(SignInThrottle.key.in_(keys)))
    await session.execute(
        delete(SignInThrottle).where(SignInThrottle.last_attempt_at < utcnow() - WINDOW)
    )
