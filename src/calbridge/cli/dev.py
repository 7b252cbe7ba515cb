"""``calbridge dev``: the embedded demo — SQLite, the in-process worker, a demo workspace with a
calendar, a member and an event, an admin sign-in, a fresh token and a working curl."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

import typer
import uvicorn
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.admin.models import AdminUser
from calbridge.admin.service import create_admin_user
from calbridge.auth.models import ApiToken
from calbridge.auth.scopes import ALL_SCOPES
from calbridge.auth.service import create_token
from calbridge.calendar.models import Calendar
from calbridge.calendar.schemas import CalendarCreate
from calbridge.calendar.service import create_calendar
from calbridge.db import Database, utcnow
from calbridge.event.schemas import EventCreate
from calbridge.event.service import create_event
from calbridge.migrate import upgrade
from calbridge.settings import get_settings
from calbridge.workspace.models import Member, Workspace
from calbridge.workspace.schemas import MemberCreate
from calbridge.workspace.service import create_member, create_workspace

DEMO_NAME = "Demo"
DEMO_TOKEN_NAME = "demo"
ADMIN_EMAIL = "admin@calbridge.local"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def dev(
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Migrate, create (or reuse) the demo, print how to use it, and serve with the worker."""
    settings = get_settings()
    upgrade(settings.database_url, settings.database_schema)
    base = f"http://{host}:{port}"
    summary = asyncio.run(_prepare_demo())
    workspace_uuid, token, calendar_id, admin_password = summary
    typer.echo(
        "\n".join(
            [
                "",
                "calbridge demo is starting.",
                f"  workspace:  {workspace_uuid}",
                f"  token:      {token}   (all scopes; a new one each start)",
                f"  admin:      {base}/admin  — {ADMIN_EMAIL} / {admin_password}",
                f"  API docs:   {base}/docs",
                "",
                "Try:",
                f"  curl -s -H 'Authorization: Bearer {token}' -H 'Accept: application/json' \\",
                f"    '{base}/api/v2/w/{workspace_uuid}/calendar-events?calendarId={calendar_id}'",
                "",
            ]
        )
    )
    from calbridge.app import create_app

    application = create_app(settings, run_worker=True)
    uvicorn.run(application, host=host, port=port, log_level=settings.log_level.lower())


async def _prepare_demo() -> tuple[str, str, int, str]:
    settings = get_settings()
    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        async with db.transaction() as session:
            workspace = await session.scalar(select(Workspace).where(Workspace.name == DEMO_NAME))
            if workspace is None:
                workspace = await create_workspace(
                    session, name=DEMO_NAME, timezone="Europe/Amsterdam"
                )
            calendar = await session.scalar(
                select(Calendar).where(Calendar.workspace_id == workspace.id).order_by(Calendar.id)
            )
            if calendar is None:
                calendar = await _create_demo_calendar(session, workspace)
            # Tokens are shown once: each start revokes the last demo token and prints a new one.
            await session.execute(
                update(ApiToken)
                .where(
                    ApiToken.workspace_id == workspace.id,
                    ApiToken.name == DEMO_TOKEN_NAME,
                    ApiToken.revoked_at.is_(None),
                )
                .values(revoked_at=utcnow())
            )
            issued = await create_token(
                session, workspace, scopes=list(ALL_SCOPES), name=DEMO_TOKEN_NAME
            )
            password = secrets.token_urlsafe(12)
            existing = await session.scalar(select(AdminUser).where(AdminUser.email == ADMIN_EMAIL))
            if existing is not None:
                await session.delete(existing)
                await session.flush()
            await create_admin_user(session, email=ADMIN_EMAIL, password=password)
            return workspace.uuid, issued.secret, calendar.id, password
    finally:
        await db.dispose()


async def _create_demo_calendar(session: AsyncSession, workspace: Workspace) -> Calendar:
    calendar = await create_calendar(
        session,
        workspace,
        CalendarCreate.model_validate(
            {
                "name": "Room A",
                "timezone": "Europe/Amsterdam",
                "maxAttendees": 8,
                "availability": {
                    "weekly": [{"day": day, "start": "09:00", "end": "17:00"} for day in WEEKDAYS]
                },
            }
        ),
    )
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
    )
    return calendar
