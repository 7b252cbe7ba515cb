"""Bearer-token checks for the Calendar API and userinfo."""

from __future__ import annotations

from starlette.requests import Request

from calbridge_google_emulator import errors
from calbridge_google_emulator.state import AccessToken, EmulatorState

_AUTH = "https://www.googleapis.com/auth/"
FULL = _AUTH + "calendar"
READONLY = _AUTH + "calendar.readonly"
EVENTS = _AUTH + "calendar.events"
EVENTS_READONLY = _AUTH + "calendar.events.readonly"

# The scopes Google accepts for each kind of call (any one of them is enough).
EVENT_READ_SCOPES = frozenset({FULL, READONLY, EVENTS, EVENTS_READONLY})
EVENT_WRITE_SCOPES = frozenset({FULL, EVENTS})
CALENDAR_LIST_SCOPES = frozenset({FULL, READONLY})
FREEBUSY_SCOPES = EVENT_READ_SCOPES | {
    _AUTH + "calendar.freebusy",
    _AUTH + "calendar.events.freebusy",
}


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(state: EmulatorState, request: Request, scopes: frozenset[str]) -> AccessToken:
    """The caller's live token, or 401 `authError`; 403 if it lacks every scope in `scopes`.

    Call with `state.lock` held.
    """
    token = bearer_token(request)
    record = state.live_access_token(token) if token else None
    if record is None:
        raise errors.auth_error()
    if scopes and not scopes.intersection(record.scopes):
        raise errors.insufficient_permissions()
    return record
