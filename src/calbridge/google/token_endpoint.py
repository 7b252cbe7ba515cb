"""Google's OAuth endpoints: exchange a code, refresh an access token, revoke, read userinfo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from calbridge.db import utcnow
from calbridge.google.errors import GoogleGrantRevoked, GoogleOAuthRejected, GooglePermanent
from calbridge.google.gateway import GoogleGateway


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_at: datetime | None
    refresh_token: str | None
    scopes: list[str]


def _grant(body: dict[str, Any]) -> TokenGrant:
    expires_in = body.get("expires_in")
    return TokenGrant(
        access_token=str(body["access_token"]),
        expires_at=utcnow() + timedelta(seconds=float(expires_in)) if expires_in else None,
        refresh_token=body.get("refresh_token"),
        scopes=str(body.get("scope", "")).split(),
    )


def _client_form(gateway: GoogleGateway) -> dict[str, str]:
    settings = gateway.settings
    return {"client_id": settings.google_client_id, "client_secret": settings.google_client_secret}


async def exchange_code(gateway: GoogleGateway, code: str, verifier: str) -> TokenGrant:
    """Authorization code + PKCE verifier → tokens; ``GoogleOAuthRejected`` if Google refuses."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "redirect_uri": gateway.settings.google_redirect_uri,
        **_client_form(gateway),
    }
    try:
        response = await gateway.send("POST", gateway.settings.google_token_url, data=form)
    except (GooglePermanent, GoogleGrantRevoked) as error:
        raise GoogleOAuthRejected(
            error.message, status=error.status, reason=error.reason
        ) from error
    return _grant(response.json())


async def refresh(
    gateway: GoogleGateway, refresh_token: str, retries: int | None = None
) -> TokenGrant:
    """A new access token; ``GoogleGrantRevoked`` when the refresh token is dead."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **_client_form(gateway)}
    response = await gateway.send(
        "POST", gateway.settings.google_token_url, data=form, retries=retries
    )
    return _grant(response.json())


async def revoke(gateway: GoogleGateway, token: str) -> None:
    """Revoke the grant behind ``token``. An already dead token (400) counts as revoked."""
    try:
        await gateway.send("POST", gateway.settings.google_revoke_url, data={"token": token})
    except (GooglePermanent, GoogleGrantRevoked) as error:
        if error.status != 400:
            raise


async def userinfo_email(gateway: GoogleGateway, access_token: str) -> str:
    response = await gateway.send(
        "GET",
        gateway.settings.google_userinfo_url,
        headers={"Authorization": f"Bearer {access_token}"},
    )
    email = response.json().get("email")
    if not isinstance(email, str) or not email:
        raise GoogleOAuthRejected("Google did not share the account's email address.")
    return email
