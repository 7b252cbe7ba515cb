"""An example for every request body of the API, by schema name (shown in /docs and /redoc,
and used by clients and fuzzers as a known-good starting point)."""

from __future__ import annotations

from typing import Any

_WINDOWS = {
    "weekly": [{"day": "monday", "start": "09:00", "end": "17:00"}],
    "exceptions": [{"date": "2026-12-24", "windows": []}],
}

EXAMPLES: dict[str, dict[str, Any]] = {
    "CalendarCreate": {
        "name": "Room A",
        "timezone": "Europe/Amsterdam",
        "maxAttendees": 8,
        "allowOverlap": False,
        "availability": _WINDOWS,
    },
    "CalendarUpdate": {"availability": {"weekly": _WINDOWS["weekly"]}, "maxAttendees": 10},
    "MemberCreate": {"name": "Alice", "email": "alice@example.com"},
    "MemberUpdate": {"name": "Alice Smith"},
    "EventCreate": {
        "calendarId": 7,
        "title": "Intro call",
        "startTime": "2026-04-13T09:00:00+02:00",
        "endTime": "2026-04-13T09:30:00+02:00",
        "attendeeIds": [3],
        "metadata": {"source": "website"},
    },
    "EventUpdate": {
        "title": "Intro call (moved)",
        "startTime": "2026-04-13T10:00:00+02:00",
        "endTime": "2026-04-13T10:30:00+02:00",
    },
    "CancelRequest": {"reason": "The customer cancelled."},
    "RsvpRequest": {"responseStatus": "accepted", "comment": "See you there"},
    "RuleCreate": {
        "name": "Tell the CRM",
        "triggers": ["event.created", "event.cancelled"],
        "conditions": [{"field": "title", "op": "contains", "value": "Intro"}],
        "actions": [{"type": "webhook", "url": "https://crm.example.com/hooks/calbridge"}],
    },
    "RuleUpdate": {"enabled": False},
    "RuleTestRequest": {"eventId": 42, "trigger": "event.created"},
    "FreeBusyRequest": {
        "calendarIds": [7, 8],
        "start": "2026-04-13T00:00:00+02:00",
        "end": "2026-04-18T00:00:00+02:00",
    },
    "CreateEntry": {
        "summary": "Team lunch",
        "location": "Cafe",
        "start": {"dateTime": "2026-04-13T12:00:00+02:00", "timeZone": "Europe/Amsterdam"},
        "end": {"dateTime": "2026-04-13T13:00:00+02:00", "timeZone": "Europe/Amsterdam"},
    },
}
