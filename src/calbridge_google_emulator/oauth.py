"""OAuth 2.0 token, revoke, tokeninfo and userinfo endpoints (oauth2.googleapis.com).

Client credentials come in the form body (`client_id`, `client_secret`) or as HTTP Basic;
a wrong id or secret is 401 `invalid_client`. Every other failure is a 400 in RFC 6749 form.
"""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from calbridge_google_emulator import errors, grants
from calbridge_google_emulator.auth import bearer_token
from calbridge_google_emulator.config import EMAIL_SCOPE, PROFILE_SCOPE
from calbridge_google_emulator.errors import OAuthError
from calbridge_google_emulator.state import AccessToken, EmulatorState
from calbridge_google_emulator.web import state_of


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError(401, "invalid_client", "Unauthorized") from None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


def _check_client(state: EmulatorState, client_id: str, secret: str) -> None:
    if client_id != state.config.client_id:
        raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
    if secret != state.config.client_secret:
        raise OAuthError(401, "invalid_client", "Unauthorized")


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise OAuthError(400, "invalid_request", f"Missing required parameter: {name}")
    return value


async def token(request: Request) -> Response:
    """POST /token: `authorization_code` (with PKCE) and `refresh_token` grants."""
    state = state_of(request)
    async with request.form() as raw_form:
        form = {k: v for k, v in raw_form.items() if isinstance(v, str)}
    async with state.lock:
        client_id, secret = _client_credentials(request, form)
        _check_client(state, client_id, secret)
        grant_type = _required(form, "grant_type")
        if grant_type == "authorization_code":
            body = grants.exchange_code(
                state,
                client_id,
                _required(form, "code"),
                _required(form, "redirect_uri"),
                form.get("code_verifier"),
            )
        elif grant_type == "refresh_token":
            body = grants.refresh(state, client_id, _required(form, "refresh_token"))
        else:
            raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def revoke(request: Request) -> Response:
    """POST /revoke?token=… (or `token` in the form body): 200, or 400 `invalid_token`."""
    state = state_of(request)
    value = request.query_params.get("token")
    if value is None:
        async with request.form() as form:
            field = form.get("token")
            value = field if isinstance(field, str) else None
    async with state.lock:
        if not value or not grants.revoke_token(state, value):
            raise OAuthError(400, "invalid_token", "Token expired or revoked")
    return JSONResponse({})


def _userinfo_token(state: EmulatorState, request: Request) -> AccessToken | None:
    value = bearer_token(request)
    return state.live_access_token(value) if value else None


def _has(record: AccessToken, short: str, long: str) -> bool:
    return short in record.scopes or long in record.scopes


async def userinfo_v3(request: Request) -> Response:
    """OpenID userinfo: `sub` always, `email` with the email scope, `name` with profile."""
    state = state_of(request)
    async with state.lock:
        record = _userinfo_token(state, request)
        if record is None:
            raise OAuthError(401, "invalid_request", "Invalid Credentials")
        body: dict[str, object] = {"sub": state.user_ids[record.email]}
        if _has(record, "email", EMAIL_SCOPE):
            body.update(email=record.email, email_verified=True)
        if _has(record, "profile", PROFILE_SCOPE):
            body["name"] = _name(state, record.email)
    return JSONResponse(body)


async def userinfo_v2(request: Request) -> Response:
    state = state_of(request)
    async with state.lock:
        record = _userinfo_token(state, request)
        if record is None:
            raise errors.auth_error()
        body: dict[str, object] = {"id": state.user_ids[record.email]}
        if _has(record, "email", EMAIL_SCOPE):
            body.update(email=record.email, verified_email=True)
        if _has(record, "profile", PROFILE_SCOPE):
            body["name"] = _name(state, record.email)
    return JSONResponse(body)


async def tokeninfo(request: Request) -> Response:
    """GET /tokeninfo?access_token=…: what Google knows about a live access token."""
    state = state_of(request)
    value = request.query_params.get("access_token")
    async with state.lock:
        record = state.live_access_token(value) if value else None
        if record is None:
            raise OAuthError(400, "invalid_token", "Invalid Value")
        client_id = state.config.client_id
        if record.grant_id is not None:
            client_id = state.grants[record.grant_id].client_id
        now = state.clock.time()
        expires_at = record.expires_at if record.expires_at is not None else now + 10**9
        body: dict[str, str] = {
            "azp": client_id,
            "aud": client_id,
            "sub": state.user_ids[record.email],
            "scope": " ".join(record.scopes),
            "exp": str(int(expires_at)),
            "expires_in": str(int(expires_at - now)),
        }
        if _has(record, "email", EMAIL_SCOPE):
            body.update(email=record.email, email_verified="true")
    return JSONResponse(body)


def _name(state: EmulatorState, email: str) -> str:
    return state.config.user_name if email == state.config.user_email else email.split("@")[0]


routes = [
    Route("/token", token, methods=["POST"]),
    Route("/revoke", revoke, methods=["POST"]),
    Route("/tokeninfo", tokeninfo, methods=["GET", "POST"]),
    Route("/oauth2/v3/userinfo", userinfo_v3, methods=["GET", "POST"]),
    Route("/oauth2/v2/userinfo", userinfo_v2, methods=["GET"]),
]
