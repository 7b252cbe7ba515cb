"""OAuth 2.0: consent page, code + PKCE exchange, refresh, revoke, userinfo, expiry."""

from __future__ import annotations

import base64

import httpx

from calbridge_google_emulator import GoogleEmulator

from .flows import (
    CALENDAR_SCOPE,
    EVENTS,
    REDIRECT_URI,
    authorize,
    connect,
    exchange,
    query_of,
    s256,
)

AUTH_PATH = "/o/oauth2/v2/auth"
CLIENT = {"client_id": "calbridge-dev", "client_secret": "calbridge-dev-secret"}


def consent_params(**extra: str) -> dict[str, str]:
    return {
        "client_id": "calbridge-dev",
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": f"email {CALENDAR_SCOPE}",
        "state": "st4te",
        **extra,
    }


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **CLIENT}
    return await client.post("/token", data=form)


async def test_consent_page_shows_the_test_user(client: httpx.AsyncClient) -> None:
    response = await client.get(AUTH_PATH, params=consent_params())
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "testuser@example.com" in response.text
    assert 'value="allow"' in response.text


async def test_allowing_on_the_page_redirects_with_code_and_state(
    client: httpx.AsyncClient,
) -> None:
    form = consent_params(access_type="offline") | {"decision": "allow"}
    response = await client.post(AUTH_PATH, data=form)
    assert response.status_code == 302
    redirect = query_of(response.headers["location"])
    assert redirect["state"] == "st4te"
    assert redirect["code"]
    tokens = await exchange(client, redirect["code"], verifier=None)
    assert tokens.status_code == 200
    assert tokens.json()["refresh_token"]


async def test_denying_redirects_with_access_denied(client: httpx.AsyncClient) -> None:
    response = await client.post(AUTH_PATH, data=consent_params() | {"decision": "deny"})
    assert response.status_code == 302
    assert query_of(response.headers["location"]) == {"state": "st4te", "error": "access_denied"}


async def test_unknown_client_or_redirect_uri_shows_an_error_page_not_a_redirect() -> None:
    strict = GoogleEmulator(redirect_uris=(REDIRECT_URI,))
    transport = httpx.ASGITransport(app=strict.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e.test") as client:
        wrong_client = await client.get(AUTH_PATH, params=consent_params(client_id="other"))
        assert wrong_client.status_code == 400
        assert "invalid_client" in wrong_client.text
        wrong_uri = await client.get(
            AUTH_PATH, params=consent_params(redirect_uri="http://evil.test/cb")
        )
        assert wrong_uri.status_code == 400
        assert "redirect_uri_mismatch" in wrong_uri.text


async def test_code_exchange_returns_googles_token_fields(client: httpx.AsyncClient) -> None:
    tokens = await connect(client)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["access_token"].startswith("ya29.")
    assert tokens["refresh_token"]
    assert set(tokens["scope"].split()) == {"openid", "email", CALENDAR_SCOPE}
    response = await client.get(
        EVENTS, headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.status_code == 200


async def test_codes_are_single_use(client: httpx.AsyncClient) -> None:
    redirect = await authorize(client)
    assert (await exchange(client, redirect["code"])).status_code == 200
    reused = await exchange(client, redirect["code"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert reused.json()["error_description"]


async def test_unknown_code_is_invalid_grant(client: httpx.AsyncClient) -> None:
    response = await exchange(client, "4/not-a-code")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_pkce_verifier_must_match_the_s256_challenge(client: httpx.AsyncClient) -> None:
    redirect = await authorize(client, verifier="right-verifier-" + "x" * 40)
    wrong = await exchange(client, redirect["code"], verifier="wrong-verifier-" + "x" * 40)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    missing = await exchange(client, redirect["code"], verifier=None)
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_grant"
    right = await exchange(client, redirect["code"], verifier="right-verifier-" + "x" * 40)
    assert right.status_code == 200


async def test_s256_is_computed_over_the_verifier_not_compared_plainly(
    client: httpx.AsyncClient,
) -> None:
    verifier = "z" * 43
    redirect = await authorize(
        client, verifier=None, code_challenge=s256(verifier), code_challenge_method="S256"
    )
    plain_attempt = await exchange(client, redirect["code"], verifier=s256(verifier))
    assert plain_attempt.status_code == 400


async def test_redirect_uri_must_match_the_authorization_request(
    client: httpx.AsyncClient,
) -> None:
    redirect = await authorize(client)
    response = await exchange(client, redirect["code"], redirect_uri="http://app.test/other")
    assert response.status_code == 400
    assert response.json()["error"] == "redirect_uri_mismatch"


async def test_wrong_client_credentials_are_invalid_client(client: httpx.AsyncClient) -> None:
    redirect = await authorize(client)
    wrong_secret = await exchange(client, redirect["code"], client_secret="nope")
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client"
    unknown = await exchange(client, redirect["code"], client_id="someone-else")
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "invalid_client"


async def test_client_credentials_may_come_as_http_basic(client: httpx.AsyncClient) -> None:
    redirect = await authorize(client)
    basic = base64.b64encode(b"calbridge-dev:calbridge-dev-secret").decode()
    form = {
        "grant_type": "authorization_code",
        "code": redirect["code"],
        "redirect_uri": REDIRECT_URI,
        "code_verifier": "v" * 50,
    }
    response = await client.post("/token", data=form, headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200


async def test_unsupported_grant_type(client: httpx.AsyncClient) -> None:
    response = await client.post("/token", data={"grant_type": "password", **CLIENT})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_refresh_token_grant_issues_a_new_access_token(client: httpx.AsyncClient) -> None:
    tokens = await connect(client)
    response = await refresh(client, tokens["refresh_token"])
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"] != tokens["access_token"]
    assert "refresh_token" not in body
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await client.get(EVENTS, headers=auth)).status_code == 200


async def test_unknown_refresh_token_is_invalid_grant(client: httpx.AsyncClient) -> None:
    response = await refresh(client, "1//unknown")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_refresh_token_only_for_offline_access(client: httpx.AsyncClient) -> None:
    redirect = await authorize(client, access_type="online")
    body = (await exchange(client, redirect["code"])).json()
    assert "refresh_token" not in body


async def test_second_approval_without_prompt_consent_gives_no_new_refresh_token(
    client: httpx.AsyncClient,
) -> None:
    first = await connect(client)
    again = await connect(client)
    assert "refresh_token" not in again
    forced = await connect(client, prompt="consent")
    assert forced["refresh_token"] != first["refresh_token"]
    assert (await refresh(client, first["refresh_token"])).status_code == 200


async def test_revoke_endpoint_kills_refresh_and_access_tokens(client: httpx.AsyncClient) -> None:
    tokens = await connect(client)
    response = await client.post("/revoke", params={"token": tokens["refresh_token"]})
    assert response.status_code == 200
    refreshed = await refresh(client, tokens["refresh_token"])
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get(EVENTS, headers=auth)).status_code == 401


async def test_revoking_an_access_token_revokes_its_grant(client: httpx.AsyncClient) -> None:
    tokens = await connect(client)
    response = await client.post("/revoke", data={"token": tokens["access_token"]})
    assert response.status_code == 200
    assert (await refresh(client, tokens["refresh_token"])).json()["error"] == "invalid_grant"


async def test_revoking_an_unknown_token_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/revoke", params={"token": "nope"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_token"


async def test_access_tokens_expire_after_expires_in() -> None:
    short = GoogleEmulator(access_token_ttl=120)
    transport = httpx.ASGITransport(app=short.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e.test") as client:
        tokens = await connect(client)
        assert tokens["expires_in"] == 120
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        short.advance_clock(119)
        assert (await client.get(EVENTS, headers=auth)).status_code == 200
        short.advance_clock(2)
        assert (await client.get(EVENTS, headers=auth)).status_code == 401
        renewed = (await refresh(client, tokens["refresh_token"])).json()["access_token"]
        fresh = {"Authorization": f"Bearer {renewed}"}
        assert (await client.get(EVENTS, headers=fresh)).status_code == 200


async def test_userinfo_gives_the_email_with_the_email_scope(client: httpx.AsyncClient) -> None:
    tokens = await connect(client)
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = await client.get("/oauth2/v3/userinfo", headers=auth)
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "testuser@example.com"
    assert body["email_verified"] is True
    assert body["sub"]


async def test_userinfo_without_email_scope_has_no_email(client: httpx.AsyncClient) -> None:
    redirect = await authorize(client, scope=CALENDAR_SCOPE, login_hint="solo@example.com")
    tokens = (await exchange(client, redirect["code"])).json()
    body = (
        await client.get(
            "/oauth2/v3/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
    ).json()
    assert "email" not in body
    assert body["sub"]


async def test_userinfo_needs_a_live_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/oauth2/v3/userinfo", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


async def test_login_hint_signs_in_another_user_with_their_own_calendar(
    client: httpx.AsyncClient,
) -> None:
    redirect = await authorize(client, login_hint="second@example.com")
    tokens = (await exchange(client, redirect["code"])).json()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get("/oauth2/v3/userinfo", headers=auth)).json()["email"] == (
        "second@example.com"
    )
    events = (await client.get(EVENTS, headers=auth)).json()
    assert events["summary"] == "second@example.com"


async def test_tokeninfo_describes_a_live_token(client: httpx.AsyncClient) -> None:
    tokens = await connect(client)
    response = await client.get("/tokeninfo", params={"access_token": tokens["access_token"]})
    assert response.status_code == 200
    info = response.json()
    assert info["aud"] == "calbridge-dev"
    assert info["email"] == "testuser@example.com"
    assert CALENDAR_SCOPE in info["scope"].split()
    assert 3590 <= int(info["expires_in"]) <= 3600
    await client.post("/revoke", params={"token": tokens["access_token"]})
    gone = await client.get("/tokeninfo", params={"access_token": tokens["access_token"]})
    assert gone.status_code == 400
    assert gone.json()["error"] == "invalid_token"


async def test_codes_expire_after_ten_minutes(
    emulator: GoogleEmulator, client: httpx.AsyncClient
) -> None:
    redirect = await authorize(client)
    emulator.advance_clock(601)
    response = await exchange(client, redirect["code"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
