"""The ``google.pull`` job: bring one linked calendar's mirror up to date with Google.

A pull is asked for (``job_requests.request_pull``) by a push notification
(``POST /google/notifications``), by the link itself (the first, full sync) and by the fallback
poll (``schedule``). Asking is **coalesced**: while a pull of the calendar waits to start, another
request adds nothing (the waiting one will see every change made so far); a pull that is already
running does not count, since it may have listed Google before the change. The request locks the
calendar's sync row first, so two notifications at the same moment cannot both enqueue. Pulls of
a calendar run one at a time (ordering key ``google.pull:calendar:{id}``).

The job reads its state and commits before calling Google (``outside.call_outside``); it lists
every page first, then writes the mirror and the new sync token in one transaction, and only if
the state it started from is still the calendar's (a link changed meanwhile starts over with a
new state). In the same transaction, copies of calbridge's events that were changed in Google
are put back (push mode, ``restore``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account.models import Account
from calbridge.calendar.models import Calendar
from calbridge.db import utcnow
from calbridge.google import links, mirror
from calbridge.google.connections import get_connection
from calbridge.google.job_errors import google_refusals, not_connected
from calbridge.google.job_requests import CalendarPayload, request_pull, request_watch
from calbridge.google.models import ACTIVE, GoogleCalendarSync, GoogleConnection
from calbridge.google.service import calendar_client
from calbridge.google.transactions import EngineDatabase
from calbridge.google_sync import pull, restore
from calbridge.outside import call_outside
from calbridge.timezones import load_timezone
from calbridge.workspace.models import Workspace

if TYPE_CHECKING:
    from calbridge.services import Services

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Pull:
    """What a pull read before calling Google."""

    calendar_id: int
    started: tuple[int, str | None]  # the sync state it starts from: its id and token
    account_id: int
    connection: GoogleConnection | None
    google_calendar_id: str
    zone: ZoneInfo
    workspace_id: int
    workspace_uuid: str


async def pull_calendar(session: AsyncSession, payload: CalendarPayload, ctx: Services) -> None:
    """Sync one calendar's mirror (see the module's docstring): read, list Google with no
    transaction open, write the listing."""
    database = EngineDatabase.of(session)

    async def fetch(plan: _Pull | None) -> pull.Listing | None:
        if plan is None:
            return None
        if plan.connection is None or plan.connection.status != ACTIVE:
            raise not_connected(plan.account_id)
        client = calendar_client(ctx.google, database, plan.connection, retries=0)
        with google_refusals("Google refused the listing"):
            return await pull.fetch(client, plan.google_calendar_id, plan.started[1])

    async def store(write: AsyncSession, plan: _Pull | None, listing: pull.Listing | None) -> None:
        if plan is None or listing is None:
            return
        batch = pull.classify(listing.items, plan.zone, plan.workspace_uuid)
        if await _store(write, plan.calendar_id, plan.started, listing, batch):
            link = {"account_id": plan.account_id, "calendar_id": plan.google_calendar_id}
            await restore.undo_google_changes(
                write, plan.workspace_id, link, batch.own, ctx.busy_source
            )

    calendar_id = int(payload["calendar_id"])
    await call_outside(session, lambda read: _plan(read, calendar_id), fetch, store)


async def _plan(session: AsyncSession, calendar_id: int) -> _Pull | None:
    """None when there is nothing to mirror: the calendar unlinked or deleted, or its account
    deleted, since the pull was asked for."""
    calendar = await session.get(Calendar, calendar_id)
    sync = await mirror.get_sync(session, calendar_id)
    if calendar is None or sync is None:
        return None
    if await session.get(Account, sync.account_id) is None:
        return None
    workspace = await session.get(Workspace, calendar.workspace_id)
    assert workspace is not None
    return _Pull(
        calendar_id=calendar_id,
        started=(sync.id, sync.sync_token),
        account_id=sync.account_id,
        connection=await get_connection(session, sync.account_id),
        google_calendar_id=sync.google_calendar_id,
        zone=load_timezone(calendar.timezone),
        workspace_id=workspace.id,
        workspace_uuid=workspace.uuid,
    )


async def _store(
    session: AsyncSession,
    calendar_id: int,
    started: tuple[int, str | None],
    listing: pull.Listing,
    batch: pull.Batch,
) -> bool:
    """Write the listing; False (nothing written) if the state changed since it was read."""
    current = await mirror.get_sync(session, calendar_id, lock=True)
    if current is None or (current.id, current.sync_token) != started:
        logger.info("google.pull of calendar %s: its sync state changed meanwhile", calendar_id)
        return False
    if listing.full:
        await mirror.clear(session, current.id)
    await mirror.apply(session, current.id, batch.upserts, batch.removals)
    current.sync_token = listing.sync_token
    current.synced_at = utcnow()
    await session.flush()
    return True


async def schedule(session: AsyncSession, now: datetime, ctx: Services) -> None:
    """The fallback poll and channel renewal, run by every worker on its loop: a pull for each
    linked calendar not synced for ``google_poll_seconds``, a channel for each one whose channel
    is missing or ends within ``google_channel_renew_seconds`` (when a push address is set), and
    a state for each linked calendar without one (linked before the mirror existed)."""
    settings = ctx.settings
    for calendar in await mirror.linked_calendars_without_sync(session):
        await links.link_changed(session, calendar)
    for sync in await mirror.all_syncs(session):
        if mirror.poll_due(sync, now, settings.google_poll_seconds):
            await request_pull(session, sync.calendar_id)
        if settings.google_push_address and mirror.channel_due(
            sync, now, settings.google_channel_renew_seconds
        ):
            await _watch_if_connected(session, sync)


async def _watch_if_connected(session: AsyncSession, sync: GoogleCalendarSync) -> None:
    # A disconnected account's channel waits for the reconnect, not in a job that defers.
    connection = await get_connection(session, sync.account_id)
    if connection is not None and connection.status == ACTIVE:
        await request_watch(session, sync.calendar_id)
