"""The demo data of ``calbridge dev``: made once, reused on every later start."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account.models import Account
from calbridge.account.service import create_account, set_google_flags
from calbridge.admin.models import AdminUser
from calbridge.admin.service import create_admin_user
from calbridge.auth.models import ApiToken
from calbridge.auth.scopes import ALL_SCOPES
from calbridge.auth.service import create_token
from calbridge.calendar.models import Calendar
from calbridge.calendar.schemas import CalendarCreate, CalendarUpdate
from calbridge.calendar.service import create_calendar, update_calendar
from calbridge.crypto import TokenCipher
from calbridge.db import Database, utcnow
from calbridge.event import history
from calbridge.event.history import Source
from calbridge.event.models import Event
from calbridge.event.schemas import EventCreate
from calbridge.event.service import create_event
from calbridge.google import connections
from calbridge.google.gateway import GoogleGateway
from calbridge.google.models import ACTIVE
from calbridge.google_sync.busy import GoogleBusyTime
from calbridge.google_sync.sync_tasks import GOOGLE_SYNC
from calbridge.outbox.service import enqueue
from calbridge.settings import Settings
from calbridge.statuses import EventStatus, SyncStatus
from calbridge.workspace.models import Member, Workspace
from calbridge.workspace.schemas import MemberCreate
from calbridge.workspace.service import create_member, create_workspace

DEMO_NAME = "Demo"
DEMO_ACCOUNT = "Demo account"
DEMO_TOKEN_NAME = "demo"
ADMIN_EMAIL = "admin@calbridge.local"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
GOOGLE_SCOPES = ["openid", "email", "https://www.googleapis.com/auth/calendar"]


@dataclass(frozen=True)
class LocalGoogleGrant:
    """A non-expiring access token the local emulator was started with, and whose it is."""

    email: str
    access_token: str


@dataclass(frozen=True)
class Demo:
    workspace_uuid: str
    token: str
    calendar_id: int
    account_id: int
    admin_password: str


async def prepare(settings: Settings, google: LocalGoogleGrant | None) -> Demo:
    """Create (or reuse) the demo; print-once secrets (the API token, the admin password) are
    made anew at each start, and the old demo token is revoked. With the local emulator (new
    and empty at each start), the synced calendars' events are pushed to it again."""
    db = Database(settings.database_url, schema=settings.database_schema)
    gateway = GoogleGateway(settings)
    try:
        async with db.transaction() as session:
            history.act_as(session, Source.CLI, None)
            workspace = await session.scalar(select(Workspace).where(Workspace.name == DEMO_NAME))
            if workspace is None:
                workspace = await create_workspace(
                    session, name=DEMO_NAME, timezone="Europe/Amsterdam"
                )
            account = await _demo_account(session, workspace, settings, google)
            calendar = await session.scalar(
                select(Calendar).where(Calendar.workspace_id == workspace.id).order_by(Calendar.id)
            )
            if calendar is None:
                calendar = await _create_demo_calendar(session, workspace, account, google, gateway)
            elif google is not None:
                if calendar.google_account_id is None:
                    await update_calendar(session, workspace, calendar.id, _link(account))
                await _push_again(session, workspace, account)
            token = await _fresh_token(session, workspace)
            password = await _fresh_admin_password(session)
            return Demo(workspace.uuid, token, calendar.id, account.id, password)
    finally:
        await gateway.aclose()
        await db.dispose()


async def _demo_account(
    session: AsyncSession,
    workspace: Workspace,
    settings: Settings,
    google: LocalGoogleGrant | None,
) -> Account:
    account = await session.scalar(
        select(Account).where(Account.workspace_id == workspace.id, Account.name == DEMO_ACCOUNT)
    )
    if account is None:
        account = await create_account(session, workspace, name=DEMO_ACCOUNT)
    if google is None:
        return account
    await set_google_flags(session, account, used=True)
    connection = await connections.connection_for(session, account.id)
    # The emulator is new at each start, and so is its token.
    connection.google_email = google.email
    connection.scopes = GOOGLE_SCOPES
    connection.access_token_encrypted = TokenCipher.from_settings(settings).encrypt(
        google.access_token
    )
    connection.refresh_token_encrypted = None
    connection.expires_at = None
    connection.status = ACTIVE
    connection.last_error = None
    await session.flush()
    return account


def _link(account: Account) -> CalendarUpdate:
    return CalendarUpdate.model_validate(
        {"googleAccountId": account.id, "googleCalendarId": "primary"}
    )


async def _create_demo_calendar(
    session: AsyncSession,
    workspace: Workspace,
    account: Account,
    google: LocalGoogleGrant | None,
    gateway: GoogleGateway,
) -> Calendar:
    fields: dict[str, object] = {
        "name": "Room A",
        "timezone": "Europe/Amsterdam",
        "maxAttendees": 8,
        "availability": {
            "weekly": [{"day": day, "start": "09:00", "end": "17:00"} for day in WEEKDAYS]
        },
    }
    if google is not None:
        fields |= {"googleAccountId": account.id, "googleCalendarId": "primary"}
    calendar = await create_calendar(session, workspace, CalendarCreate.model_validate(fields))
    member = await session.scalar(select(Member).where(Member.workspace_id == workspace.id))
    if member is None:
        member = await create_member(
            session, workspace, MemberCreate(name="Alice", email="alice@example.com")
        )
    day = datetime.now(UTC).date() + timedelta(days=1)
    while day.weekday() >= len(WEEKDAYS):
        day += timedelta(days=1)
    await create_event(
        session,
        workspace,
        EventCreate.model_validate(
            {
                "calendarId": calendar.id,
                "title": "Intro call",
                "startTime": f"{day.isoformat()}T10:00:00",
                "endTime": f"{day.isoformat()}T10:30:00",
                "attendeeIds": [member.id],
            }
        ),
        busy_source=GoogleBusyTime(gateway),
    )
    return calendar


async def _push_again(session: AsyncSession, workspace: Workspace, account: Account) -> None:
    """The emulator starts empty at each start: push every live event of the calendars synced
    to it again (pending until the worker has), so what the demo says and the curl of the
    emulator both tell the truth."""
    linked = select(Calendar.id).where(
        Calendar.workspace_id == workspace.id, Calendar.google_account_id == account.id
    )
    events = list(
        await session.scalars(
            select(Event).where(
                Event.calendar_id.in_(linked), Event.status != EventStatus.CANCELLED
            )
        )
    )
    for event in events:
        event.google_sync_status = SyncStatus.PENDING
        await enqueue(
            session,
            GOOGLE_SYNC,
            ordering_key=f"{GOOGLE_SYNC}:event:{event.id}",
            event_id=event.id,
            workspace_id=workspace.id,
        )
    await session.flush()


async def _fresh_token(session: AsyncSession, workspace: Workspace) -> str:
    await session.execute(
        update(ApiToken)
        .where(
            ApiToken.workspace_id == workspace.id,
            ApiToken.name == DEMO_TOKEN_NAME,
            ApiToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    issued = await create_token(session, workspace, scopes=list(ALL_SCOPES), name=DEMO_TOKEN_NAME)
    return issued.secret


async def _fresh_admin_password(session: AsyncSession) -> str:
    password = secrets.token_urlsafe(12)
    existing = await session.scalar(select(AdminUser).where(AdminUser.email == ADMIN_EMAIL))
    if existing is not None:
        await session.delete(existing)
        await session.flush()
    await create_admin_user(session, email=ADMIN_EMAIL, password=password)
    return password
