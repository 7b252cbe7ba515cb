"""The ``google.sync`` job: make the linked Google calendar show the event as it is now.

Subscribed to ``event.changed`` (ordered per event by the fan-out's ``google.sync:event:{id}``
key). The job reads the event's **current** state, not the change's snapshot, so after three
quick updates every job pushes the latest state, and a job that runs again after a crash just
pushes it again (``google.sync`` is idempotent). Per event:

- live, calendar linked → upsert into the calendar's Google calendar;
- cancelled or deleted → delete the Google copy;
- moved from a calendar linked elsewhere, or its calendar unlinked or deleted since the change →
  delete the copy where the change found it (the link recorded in the job, ``before_google``);
- calendar not linked → nothing more; once any copy is removed (see above) the event is
  ``not_linked`` with no ``googleEventId`` (whatever it said before: that copy is gone).

Outcomes: ``googleEventId`` and ``googleSyncStatus: synced`` are written without touching the
event's version (no new ETag, no new ``event.changed``), and only if the event was not changed
again meanwhile (the next job will tell). Google's rate limits, 5xx, timeouts and lost
connections raise, so the worker retries with backoff and jitter; any other 4xx fails the job
at once (``JobFailed``) with Google's error kept. A job that fails for good marks the event
``failed`` (``on_failure``). A connection that is missing or ``broken`` (``invalid_grant``)
makes the job wait (``JobDeferred``, no attempt spent) until the account is reconnected.

The read transaction is committed before Google is called, so a slow Google never holds a lock
(on SQLite: the database's write lock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account.models import Account
from calbridge.calendar import repository as calendar_repository
from calbridge.calendar.models import Calendar
from calbridge.event import repository as event_repository
from calbridge.event.models import Event
from calbridge.google.connections import get_connection
from calbridge.google.job_errors import google_refusals, not_connected
from calbridge.google.models import ACTIVE, GoogleConnection
from calbridge.google.service import calendar_client
from calbridge.google.transactions import EngineDatabase
from calbridge.google_sync import sync
from calbridge.outbox.service import JobFailed
from calbridge.outside import call_outside
from calbridge.statuses import EventStatus, SyncStatus
from calbridge.workspace import repository as workspace_repository
from calbridge.workspace.models import Workspace

if TYPE_CHECKING:
    from calbridge.google.gateway import GoogleGateway
    from calbridge.services import Services

GOOGLE_SYNC = "google.sync"
# What a google.sync job carries of its event.changed job: ids and links, never the snapshot
# (the job reads the event's current state).
OMITTED = ("before", "after", "before_changes")


class SyncPayload(TypedDict):
    workspace_id: int
    event_id: int
    change: str
    event_uid: NotRequired[str]
    before_google: NotRequired[dict[str, Any] | None]
    before: NotRequired[dict[str, Any] | None]  # in jobs queued before links were recorded


@dataclass(frozen=True)
class Link:
    """A Google calendar of a connected account."""

    account_id: int
    calendar_id: str


def link_of(calendar: Calendar | None) -> Link | None:
    if calendar is None or calendar.google_account_id is None or not calendar.google_calendar_id:
        return None
    return Link(calendar.google_account_id, calendar.google_calendar_id)


@dataclass
class Plan:
    """What one job will do, decided from the current state in one read transaction."""

    event_id: int
    google_id: str
    version: int | None = None  # of the event whose state is pushed (None: it is gone)
    upsert: tuple[Link, dict[str, Any]] | None = None
    removals: list[Link] = field(default_factory=list)
    known: bool = False  # the event has a googleEventId, so a copy was made once
    unlinked: bool = False  # the event lives on in a calendar that is not linked
    connections: dict[int, GoogleConnection | None] = field(default_factory=dict)
    deleted_accounts: set[int] = field(default_factory=set)

    def links(self) -> list[Link]:
        return self.removals + ([self.upsert[0]] if self.upsert else [])


async def _plan(session: AsyncSession, payload: SyncPayload) -> Plan | None:
    workspace = await session.get(Workspace, payload["workspace_id"])
    if workspace is None:
        return None
    event_id = int(payload["event_id"])
    event = await event_repository.get_event(session, workspace.id, event_id)
    # A deleted event's uid comes with the change (jobs queued before uids carry none).
    uid = event.uid if event is not None else payload.get("event_uid")
    plan = Plan(event_id, sync.google_event_id(workspace.uuid, event_id, uid))
    calendar = None
    if event is not None:
        calendar = await calendar_repository.get_calendar(session, workspace.id, event.calendar_id)
    current = link_of(calendar)
    previous = await _previous_link(session, workspace, payload)
    if previous is not None and (event is None or previous != current):
        plan.removals.append(previous)
    if event is not None and calendar is not None:
        plan.version, plan.known = event.version, event.google_event_id is not None
        if current is None:
            plan.unlinked = True
        elif event.status == EventStatus.CANCELLED:
            plan.removals.append(current)
        else:
            members = await workspace_repository.members_by_id(
                session, workspace.id, [a.member_id for a in event.attendees]
            )
            plan.upsert = (current, sync.event_body(event, calendar, members, workspace.uuid))
    for link in plan.links():
        plan.connections[link.account_id] = await get_connection(session, link.account_id)
        if await session.get(Account, link.account_id) is None:
            plan.deleted_accounts.add(link.account_id)
    return plan


async def _previous_link(
    session: AsyncSession, workspace: Workspace, payload: SyncPayload
) -> Link | None:
    """Where the copy was before the change: the link the change recorded (``before_google``),
    so a calendar deleted or unlinked since still has its copy removed. A job queued before
    links were recorded looks up the ``before`` calendar's link as it is now."""
    if "before_google" in payload:
        recorded = payload["before_google"]
        if not recorded:
            return None
        return Link(int(recorded["account_id"]), str(recorded["calendar_id"]))
    before_calendar_id = (payload.get("before") or {}).get("calendarId")
    if before_calendar_id is None:
        return None
    return link_of(
        await calendar_repository.get_calendar(session, workspace.id, before_calendar_id)
    )


async def sync_event(session: AsyncSession, payload: SyncPayload, ctx: Services) -> None:
    """Push one event's current state to Google (see the module's docstring): plan (read),
    push with no transaction open, record with the job's ``done``."""
    database = EngineDatabase.of(session)

    async def push(plan: Plan | None) -> None:
        if plan is not None:
            await _push(plan, ctx.google, database)

    await call_outside(session, lambda read: _plan(read, payload), push, _record)


async def _record(session: AsyncSession, plan: Plan | None, _pushed: None) -> None:
    if plan is not None:
        await _synced(session, plan)


async def _push(plan: Plan, gateway: GoogleGateway, database: EngineDatabase) -> None:
    if not plan.links():
        return
    for link in plan.links():
        if link.account_id in plan.deleted_accounts:
            # No reconnect can ever come: fail visibly rather than wait forever.
            raise JobFailed(f"Google account {link.account_id} was deleted; nothing to sync with")
        connection = plan.connections.get(link.account_id)
        if connection is None or connection.status != ACTIVE:
            raise not_connected(link.account_id)
    with google_refusals("Google refused the call"):
        for link in plan.removals:
            client = calendar_client(gateway, database, _connection(plan, link))
            await sync.remove(client, link.calendar_id, plan.google_id)
        if plan.upsert is not None:
            link, body = plan.upsert
            client = calendar_client(gateway, database, _connection(plan, link))
            await sync.upsert(client, link.calendar_id, plan.google_id, body, known=plan.known)


def _connection(plan: Plan, link: Link) -> GoogleConnection:
    connection = plan.connections[link.account_id]
    assert connection is not None
    return connection


async def _synced(session: AsyncSession, plan: Plan) -> None:
    """Record the outcome without a new version (no new ETag, no new ``event.changed``). An
    event in a calendar that is not linked has no copy any more (any was removed first)."""
    if plan.version is None:
        return
    values: dict[str, Any] = {"google_sync_status": SyncStatus.SYNCED}
    if plan.unlinked:
        values = {"google_sync_status": SyncStatus.NOT_LINKED, "google_event_id": None}
    elif plan.upsert is not None:
        values["google_event_id"] = plan.google_id
    await session.execute(
        update(Event)
        .where(Event.id == plan.event_id, Event.version == plan.version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def sync_failed(session: AsyncSession, payload: SyncPayload, error: str) -> None:
    """The job failed for good: the event says so (the job keeps the error)."""
    await session.execute(
        update(Event)
        .where(Event.id == payload["event_id"], Event.workspace_id == payload["workspace_id"])
        .values(google_sync_status=SyncStatus.FAILED)
        .execution_options(synchronize_session=False)
    )
