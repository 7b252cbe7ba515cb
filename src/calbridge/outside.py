"""Calls outside the transaction, in one shape: plan → call → record.

A call to Google, a webhook receiver or an SMTP server may take seconds, and no database
transaction may stay open meanwhile (on SQLite it would hold the database's only write lock; on
PostgreSQL, row locks). So every call out is three steps on one session:

1. **plan**: read (and, where the call must be on record first, write) in the session's
   transaction, which is committed before the call (``outbox.service.commit_plan``: in a job,
   only while the worker still holds the job, so a worker that lost its lease commits nothing);
2. **call** with no transaction open: it gets the plan, never the session;
3. **record** the outcome in the session's next transaction: in a job, the one the worker
   commits together with the job's ``done``; in a request, the request's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.outbox.service import commit_plan

Plan = TypeVar("Plan")
Result = TypeVar("Result")
Recorded = TypeVar("Recorded")


async def call_outside(
    session: AsyncSession,
    plan: Callable[[AsyncSession], Awaitable[Plan]],
    call: Callable[[Plan], Awaitable[Result]],
    record: Callable[[AsyncSession, Plan, Result], Awaitable[Recorded]],
) -> Recorded:
    """Plan in ``session``, commit, ``call`` with no transaction open, record in ``session``.
    An error in ``plan`` commits nothing; an error in ``call`` leaves the plan committed and
    records nothing."""
    planned = await plan(session)
    await commit_plan(session)
    result = await call(planned)
    return await record(session, planned, result)
