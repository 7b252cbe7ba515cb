"""Connecting an account to Google: authorization code + PKCE (S256) + a one-time ``state``.

``start_connect`` stores the flow server-side (the state as a hash, the PKCE verifier encrypted,
a hash of the caller's ``binding`` and an expiry) and returns Google's authorization URL.
The callback finishes in three steps, so that no transaction (on SQLite: the database's write
lock) is open while Google answers:

1. ``consume_state`` (a short transaction the caller commits): the state must exist, not have
   expired, and have been started with the same ``binding`` (the admin panel passes a value
   only the admin's browser holds, see ``google.browser``); it is deleted, so it is used once.
2. ``exchange`` (no transaction): the code is exchanged with the PKCE verifier and the email
   read from userinfo.
3. ``store_connection`` (a second short transaction): the connection is stored (or replaced)
   with its tokens encrypted.

The callback runs the three steps through ``calbridge.outside``. Any failure raises
``OAuthFlowError`` (400) or, when Google cannot be reached, ``GoogleUnavailable`` (503), and no
connection is stored. A state whose exchange failed stays consumed: Google's codes are one-time
too, so the flow cannot be finished again anyway, and the admin starts again from the account
page (a new state).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account.models import Account
from calbridge.crypto import TokenCipher
from calbridge.db import utcnow
from calbridge.google import connections, token_endpoint
from calbridge.google.errors import (
    GoogleOAuthRejected,
    GoogleRetryable,
    GoogleUnavailable,
    OAuthFlowError,
)
from calbridge.google.gateway import GoogleGateway
from calbridge.google.models import ACTIVE, GoogleConnection, GoogleOAuthState
from calbridge.google.token_endpoint import TokenGrant

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _safe_return_to(return_to: str | None) -> str | None:
    # Only same-site paths: the callback must not become an open redirect.
    if return_to and return_to.startswith("/") and not return_to.startswith("//"):
        return return_to
    return None


async def start_connect(
    session: AsyncSession,
    account: Account,
    *,
    binding: str,
    return_to: str | None = None,
    gateway: GoogleGateway,
) -> str:
    """Begin connecting ``account``; the URL to send the admin's browser to.

    ``binding`` must come back to ``consume_state`` from the same browser session (the admin
    panel makes one in ``google.browser.connect_redirect``). ``return_to`` (a path on this
    site) is where the callback sends the browser afterwards."""
    settings = gateway.settings
    if not binding:
        raise ValueError("a binding is required")
    now = utcnow()
    await session.execute(delete(GoogleOAuthState).where(GoogleOAuthState.expires_at <= now))
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    session.add(
        GoogleOAuthState(
            state_hash=_hash(state),
            account_id=account.id,
            binding_hash=_hash(binding),
            code_verifier_encrypted=TokenCipher.from_settings(settings).encrypt(verifier),
            return_to=_safe_return_to(return_to),
            expires_at=now + timedelta(seconds=settings.google_oauth_state_ttl_seconds),
        )
    )
    await session.flush()
    query = {
        "client_id": settings.google_client_id,
        "redirect_uri": settings.google_redirect_uri,
        "response_type": "code",
        "scope": settings.google_scopes,
        "state": state,
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
        # A refresh token every time, also when reconnecting an account Google already knows.
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
    }
    return f"{settings.google_auth_url}?{urlencode(query)}"


@dataclass(frozen=True)
class PendingConnect:
    """A flow whose state was consumed: the account it connects and the PKCE verifier (in
    memory only), waiting for Google's code to be exchanged."""

    account_id: int
    verifier: str


@dataclass(frozen=True)
class Granted:
    """What Google gave for a flow: the tokens and the Google account's email."""

    account_id: int
    grant: TokenGrant
    email: str


async def consume_state(
    session: AsyncSession, *, state: str, binding: str, gateway: GoogleGateway
) -> PendingConnect:
    """Check the callback's ``state`` against the one stored and delete it (step 1). The caller
    commits before calling Google, so a state is used once whatever Google answers."""
    if not state:
        raise OAuthFlowError("The callback carries no state.", code="oauth_state_invalid")
    row = await session.scalar(
        select(GoogleOAuthState).where(GoogleOAuthState.state_hash == _hash(state))
    )
    if row is None:
        raise OAuthFlowError(
            "This connect attempt is unknown or was already used; start again.",
            code="oauth_state_invalid",
        )
    if not binding or not hmac.compare_digest(row.binding_hash, _hash(binding)):
        raise OAuthFlowError(
            "This connect attempt was started in another session.", code="oauth_state_invalid"
        )
    if row.expires_at <= utcnow():
        raise OAuthFlowError(
            "This connect attempt has expired; start again.", code="oauth_state_invalid"
        )
    consumed = await session.execute(delete(GoogleOAuthState).where(GoogleOAuthState.id == row.id))
    if getattr(consumed, "rowcount", 0) != 1:  # a concurrent callback won
        raise OAuthFlowError("This connect attempt was already used.", code="oauth_state_invalid")
    verifier = TokenCipher.from_settings(gateway.settings).decrypt(row.code_verifier_encrypted)
    return PendingConnect(row.account_id, verifier)


async def exchange(gateway: GoogleGateway, pending: PendingConnect, code: str) -> Granted:
    """Google's tokens and the account's email for ``code`` (step 2; no database involved, so
    call it with no transaction open)."""
    try:
        grant = await token_endpoint.exchange_code(gateway, code, pending.verifier)
        email = await token_endpoint.userinfo_email(gateway, grant.access_token)
    except GoogleOAuthRejected as error:
        raise OAuthFlowError(
            f"Google refused the connection: {error.message}. Start again from the account page."
        ) from error
    except GoogleRetryable as error:
        raise GoogleUnavailable(
            "Google could not be reached to finish connecting; start again from the account "
            "page in a moment."
        ) from error
    if grant.scopes and CALENDAR_SCOPE not in grant.scopes:
        raise OAuthFlowError("Access to Google Calendar was not granted.")
    return Granted(pending.account_id, grant, email)


async def store_connection(
    session: AsyncSession, granted: Granted, *, gateway: GoogleGateway
) -> GoogleConnection:
    """Store (or replace) the account's connection with what Google granted (step 3)."""
    if await session.get(Account, granted.account_id) is None:
        raise OAuthFlowError("The account was deleted while it was being connected.")
    cipher = TokenCipher.from_settings(gateway.settings)
    grant = granted.grant
    connection = await connections.connection_for(session, granted.account_id)
    connection.google_email = granted.email
    connection.scopes = grant.scopes
    connection.access_token_encrypted = cipher.encrypt(grant.access_token)
    if grant.refresh_token or connection.refresh_token_encrypted is None:
        connection.refresh_token_encrypted = (
            cipher.encrypt(grant.refresh_token) if grant.refresh_token else None
        )
    connection.expires_at = grant.expires_at
    connection.status = ACTIVE
    connection.last_error = None
    connection.updated_at = utcnow()
    await session.flush()
    return connection


async def return_path(session: AsyncSession, state: str) -> str | None:
    """Where the browser goes after the callback for ``state`` (read before consuming it)."""
    if not state:
        return None
    return await session.scalar(
        select(GoogleOAuthState.return_to).where(GoogleOAuthState.state_hash == _hash(state))
    )
