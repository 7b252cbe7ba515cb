"""Bearer-token checks for the Calendar API and userinfo.

Which scopes a Calendar method accepts comes from Google's discovery document (each method's
`scopes` list), not from a table kept here.
"""

from __future__ import annotations

from starlette.requests import Request

from calbridge_google_emulator import discovery, errors
from calbridge_google_emulator.state import AccessToken, EmulatorState


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(state: EmulatorState, request: Request, method_id: str) -> AccessToken:
    """The caller's live token, or 401 `authError`; 403 `insufficientPermissions` when it
    holds none of the scopes the discovery document lists for `method_id`.

    Call with `state.lock` held.
    """
    token = bearer_token(request)
    record = state.live_access_token(token) if token else None
    if record is None:
        raise errors.auth_error()
    if not discovery.scopes(method_id).intersection(record.scopes):
        raise errors.insufficient_permissions()
    return record
