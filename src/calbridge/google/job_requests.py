"""Asking for the mirror's jobs: a pull (``google.pull``) or a channel (re)newal
(``google.watch``) of a linked calendar, coalesced while one waits to start.

Kept apart from the jobs (``mirror_tasks``, ``channels``) so that the link, the notification
endpoint and the jobs can all ask without importing one another.
"""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.google import mirror
from calbridge.outbox.service import enqueue

GOOGLE_PULL = "google.pull"
GOOGLE_WATCH = "google.watch"


class CalendarPayload(TypedDict):
    """A ``google.pull`` or ``google.watch`` job: the linked calendar."""

    calendar_id: int


def pull_key(calendar_id: int) -> str:
    return f"{GOOGLE_PULL}:calendar:{calendar_id}"


def watch_key(calendar_id: int) -> str:
    return f"{GOOGLE_WATCH}:calendar:{calendar_id}"


async def request_pull(session: AsyncSession, calendar_id: int) -> bool:
    """Enqueue a pull of the calendar unless one is waiting already; True if one was added.
    Locks the calendar's sync row (the caller's transaction), which serialises requests."""
    sync = await mirror.get_sync(session, calendar_id, lock=True)
    if sync is None or await mirror.has_pending_job(session, GOOGLE_PULL, pull_key(calendar_id)):
        return False
    await enqueue(session, GOOGLE_PULL, ordering_key=pull_key(calendar_id), calendar_id=calendar_id)
    return True


async def request_watch(session: AsyncSession, calendar_id: int) -> bool:
    """Enqueue a channel (re)newal of the calendar unless one is waiting already."""
    if await mirror.has_pending_job(session, GOOGLE_WATCH, watch_key(calendar_id)):
        return False
    await enqueue(
        session, GOOGLE_WATCH, ordering_key=watch_key(calendar_id), calendar_id=calendar_id
    )
    return True
