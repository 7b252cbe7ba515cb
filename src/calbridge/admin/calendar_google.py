"""The calendar form's Google link: which connected account (``googleAccountId``), which of its
Google calendars (``googleCalendarId``, picked from the account's ``calendarList``), whether
Google's busy times count as conflicts (``googleConflictCheck``), and the sync mode
(``googleSyncMode``). The values go into the same body as the rest of the form, so the
calendar service checks them as it checks the API's (the account is in the workspace, a
calendar needs an account, conflict checking needs a linked calendar)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy import select

from calbridge.account.models import Account
from calbridge.admin.calendar_form import FormProblem
from calbridge.admin.common import form_text
from calbridge.calendar.models import Calendar
from calbridge.deps import get_database
from calbridge.google.errors import GoogleError
from calbridge.google.models import ACTIVE, GoogleConnection
from calbridge.google.service import calendar_client
from calbridge.services import services_of

# Wire names → the form's field names (for errors the service reports).
FIELDS = {
    "googleAccountId": "google_account_id",
    "googleCalendarId": "google_calendar_id",
    "googleConflictCheck": "google_conflict_check",
    "googleSyncMode": "google_sync_mode",
}
SYNC_MODES = ("push", "two_way")
MAX_ACCOUNTS = 20


@dataclass
class LinkableAccount:
    """A connected account of the workspace and the Google calendars it can link to."""

    id: int
    name: str
    email: str
    calendars: list[tuple[str, str]] = field(default_factory=list)  # (id, label)
    error: str | None = None


# The service words its refusals for the API; the form names the same things as its labels do.
WORDS = {
    "googleConflictCheck needs a linked Google calendar.": (
        "Blocking bookings by Google busy times needs a Google account and calendar above."
    ),
    "googleCalendarId needs a googleAccountId.": "Pick the Google account of this calendar.",
}


def renamed(errors: dict[str, str]) -> dict[str, str]:
    """Errors keyed by this part's wire names, keyed by its form fields instead."""
    return {FIELDS.get(key, key): WORDS.get(text, text) for key, text in errors.items()}


def blank() -> dict[str, Any]:
    return {
        "google_account_id": "",
        "google_calendar_id": "",
        "google_conflict_check": False,
        "google_sync_mode": "push",
    }


def of_calendar(calendar: Calendar) -> dict[str, Any]:
    account = calendar.google_account_id
    return {
        "google_account_id": "" if account is None else str(account),
        "google_calendar_id": calendar.google_calendar_id or "",
        "google_conflict_check": calendar.google_conflict_check,
        "google_sync_mode": calendar.google_sync_mode,
    }


def read(form: Any) -> dict[str, Any]:
    return {
        "google_account_id": form_text(form.get("google_account_id"), 20),
        "google_calendar_id": form_text(form.get("google_calendar_id"), 1100),
        "google_conflict_check": form.get("google_conflict_check") == "on",
        "google_sync_mode": form_text(form.get("google_sync_mode"), 20),
    }


def body(values: dict[str, Any]) -> dict[str, Any]:
    """The camelCase part of the calendar body; no account means no calendar either (choosing
    "Not linked" unlinks, whatever calendar was picked)."""
    account = values["google_account_id"]
    if account and not (account.isascii() and account.isdigit()):
        raise FormProblem("google_account_id", "Pick an account from the list.")
    linked = {
        "googleAccountId": int(account) if account else None,
        "googleCalendarId": (values["google_calendar_id"] or None) if account else None,
        "googleConflictCheck": values["google_conflict_check"],
    }
    mode = values["google_sync_mode"]
    return linked | ({"googleSyncMode": mode} if mode else {})


async def linkable_accounts(
    request: Request, workspace_id: int, current: str = ""
) -> list[LinkableAccount]:
    """The workspace's connected accounts with their calendar lists (and the linked account,
    ``current``, even when its connection is broken, so the form does not drop the link).
    Read in a short session of its own and asked of Google after it closes: no transaction is
    open while Google answers. Not for use inside an open write transaction."""
    database = get_database(request)
    async with database.session(write=False) as read_session:
        rows = (
            await read_session.execute(
                select(Account, GoogleConnection)
                .join(GoogleConnection, GoogleConnection.account_id == Account.id)
                .where(Account.workspace_id == workspace_id)
                .order_by(Account.id)
                .limit(MAX_ACCOUNTS)
            )
        ).all()
    gateway = services_of(request).google
    found = []
    for account, connection in rows:
        linkable = LinkableAccount(account.id, account.name, connection.google_email)
        if connection.status != ACTIVE:
            if str(account.id) != current:
                continue
            linkable.error = "The Google connection is broken; reconnect it on the account."
        else:
            try:
                entries = await calendar_client(gateway, database, connection).calendar_list()
            except GoogleError as error:
                linkable.error = f"Google did not list the calendars: {error.message}"
            else:
                linkable.calendars = [_choice(entry) for entry in entries if entry.get("id")]
        found.append(linkable)
    return found


def _choice(entry: dict[str, Any]) -> tuple[str, str]:
    calendar_id = str(entry["id"])
    label = str(entry.get("summaryOverride") or entry.get("summary") or calendar_id)
    if entry.get("primary"):
        label += " (primary)"
    return calendar_id, label
