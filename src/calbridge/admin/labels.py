"""Words the panel shows for the values the API stores (``not_linked`` → "Not linked")."""

from __future__ import annotations

LABELS = {
    # Event status (CONTRACT §3.3).
    "confirmed": "Confirmed",
    "tentative": "Tentative",
    "cancelled": "Cancelled",
    # Google sync status of an event.
    "not_linked": "Not linked to Google",
    "pending": "Waiting to sync",
    "synced": "Synced",
    "failed": "Sync failed",
    # Attendee responses.
    "needsAction": "No reply yet",
    "accepted": "Accepted",
    "declined": "Declined",
    # Google sync modes of a calendar (CONTRACT §3.5).
    "push": "Push (calbridge is the source of truth)",
    "two_way": "Two-way (changes made in Google come back)",
    # History: actions and sources.
    "created": "Created",
    "updated": "Updated",
    "rsvp": "Replied",
    "google_change_applied": "Change from Google applied",
    "google_change_refused": "Change from Google refused",
    "api": "API",
    "admin": "Admin panel",
    "google": "Google",
    "rule": "Event rule",
    "cli": "Command line",
}


def label(value: object) -> str:
    """The human word for a stored value; anything unknown is shown as it is."""
    text = "" if value is None else str(value)
    return LABELS.get(text, text)
