"""OAuth grant bookkeeping: codes, PKCE, token exchange, refresh and revocation.

Google's rules kept here:
- codes are single-use and expire; a second use is `invalid_grant`;
- PKCE: a code issued with a `code_challenge` needs the matching `code_verifier`
  (S256: BASE64URL(SHA256(verifier)) without padding; `plain`: equal strings);
- a refresh token is issued only for `access_type=offline`, and only on the first
  approval of a client by a user unless `prompt=consent` asked to show the consent again;
- revoking any token of a grant revokes the whole grant (refresh token and access tokens).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from calbridge_google_emulator.errors import OAuthError
from calbridge_google_emulator.ids import new_token
from calbridge_google_emulator.state import AuthCode, EmulatorState, Grant


def pkce_matches(challenge: str, method: str, verifier: str) -> bool:
    if method == "plain":
        return hmac.compare_digest(challenge, verifier)
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(challenge, expected)


def issue_code(state: EmulatorState, **fields: Any) -> str:
    code = new_token("4/")
    expires_at = state.clock.time() + state.config.auth_code_ttl
    state.auth_codes[code] = AuthCode(code=code, expires_at=expires_at, **fields)
    return code


def _grant_error(description: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", description)


def exchange_code(
    state: EmulatorState, client_id: str, code: str, redirect_uri: str, verifier: str | None
) -> dict[str, Any]:
    """Turn an authorization code into tokens (RFC 6749 §4.1.3 + RFC 7636)."""
    record = state.auth_codes.get(code)
    if record is None or record.client_id != client_id:
        raise _grant_error("Malformed auth code.")
    if record.used or record.expires_at <= state.clock.time():
        raise _grant_error("Bad Request")
    if record.redirect_uri != redirect_uri:
        raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
    if record.code_challenge is not None:
        if not verifier:
            raise _grant_error("Missing code verifier.")
        if not pkce_matches(record.code_challenge, record.code_challenge_method, verifier):
            raise _grant_error("Invalid code verifier.")
    record.used = True
    grant, new_refresh_token = _grant_for(state, record)
    body = _access_token_body(state, grant)
    if new_refresh_token:
        body["refresh_token"] = grant.refresh_token
    return body


def _grant_for(state: EmulatorState, record: AuthCode) -> tuple[Grant, bool]:
    """The grant a code exchange adds to, and whether it hands out a refresh token.

    Without `prompt=consent`, an approval extends the user's live grant to the client and a
    refresh token is only returned if that grant had none. With it, a new grant (and refresh
    token) is made; older refresh tokens stay valid, as at Google.
    """
    live = [
        g
        for g in state.grants.values()
        if g.email == record.email and g.client_id == record.client_id and not g.revoked
    ]
    if live and not record.force_consent:
        grant = live[-1]
        grant.scopes = tuple(dict.fromkeys(grant.scopes + record.scopes))
        if record.offline and grant.refresh_token is None:
            grant.refresh_token = new_token("1//")
            return grant, True
        return grant, False
    refresh_token = new_token("1//") if record.offline else None
    grant = Grant(
        len(state.grants) + 1, record.email, record.client_id, record.scopes, refresh_token
    )
    state.grants[grant.id] = grant
    return grant, record.offline


def refresh(state: EmulatorState, client_id: str, refresh_token: str) -> dict[str, Any]:
    for grant in state.grants.values():
        if grant.refresh_token == refresh_token and grant.client_id == client_id:
            if grant.revoked:
                break
            return _access_token_body(state, grant)
    raise _grant_error("Token has been expired or revoked.")


def _access_token_body(state: EmulatorState, grant: Grant) -> dict[str, Any]:
    ttl = state.config.access_token_ttl
    token = new_token("ya29.")
    state.add_access_token(token, grant.email, grant.scopes, state.clock.time() + ttl, grant.id)
    return {
        "access_token": token,
        "expires_in": ttl,
        "scope": " ".join(grant.scopes),
        "token_type": "Bearer",
    }


def revoke_token(state: EmulatorState, token: str) -> bool:
    """Revoke an access or refresh token; False when the token is unknown.

    As at Google, this removes the client's access for that user: every grant of the pair,
    its refresh tokens and access tokens stop working.
    """
    grant = next((g for g in state.grants.values() if g.refresh_token == token), None)
    if grant is None:
        record = state.live_access_token(token)
        if record is None:
            return False
        if record.grant_id is None:
            del state.access_tokens[token]
            return True
        grant = state.grants[record.grant_id]
    if grant.revoked:
        return False
    for other in state.grants.values():
        if other.email == grant.email and other.client_id == grant.client_id:
            state.revoke_grant(other)
    return True


def revoke_user(state: EmulatorState, email: str) -> int:
    grants = [g for g in state.grants.values() if g.email == email and not g.revoked]
    for grant in grants:
        state.revoke_grant(grant)
    return len(grants)
