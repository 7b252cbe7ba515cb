"""Pure parts: settings for Google, the error mapping of the gateway, pagination meta."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

from calbridge.crypto import generate_key
from calbridge.google.errors import (
    GoogleError,
    GoogleGrantRevoked,
    GoogleNotFound,
    GooglePermanent,
    GoogleRetryable,
)
from calbridge.google.gateway import GoogleGateway
from calbridge.google.mapping import page_meta
from calbridge.google.oauth import pkce_challenge
from calbridge.settings import Settings


def test_one_base_url_points_every_endpoint_at_the_emulator() -> None:
    settings = Settings(environment="test", google_base_url="http://127.0.0.1:8090/")

    assert settings.google_auth_url == "http://127.0.0.1:8090/o/oauth2/v2/auth"
    assert settings.google_token_url == "http://127.0.0.1:8090/token"
    assert settings.google_revoke_url == "http://127.0.0.1:8090/revoke"
    assert settings.google_userinfo_url == "http://127.0.0.1:8090/oauth2/v3/userinfo"
    assert settings.google_calendar_base_url == "http://127.0.0.1:8090/calendar/v3"


def test_explicit_urls_win_over_the_base_url() -> None:
    settings = Settings(
        environment="test", google_base_url="http://emu", google_token_url="http://other/token"
    )

    assert settings.google_token_url == "http://other/token"
    assert settings.google_revoke_url == "http://emu/revoke"


def test_defaults_are_googles() -> None:
    settings = Settings(environment="test")

    assert settings.google_auth_url == "https://accounts.google.com/o/oauth2/v2/auth"
    assert settings.google_calendar_base_url == "https://www.googleapis.com/calendar/v3"


def test_production_refuses_to_start_without_encryption_keys() -> None:
    with pytest.raises(ValidationError, match=r"(?s)encryption_keys.*must be set in production"):
        Settings(environment="production", secret_key="s" * 40)
    Settings(environment="production", secret_key="s" * 40, encryption_keys=generate_key())


def test_pkce_challenge_is_rfc_7636_s256() -> None:
    # RFC 7636 appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def answer(status: int, body: object) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body))


def calendar_error(status: int, reason: str) -> dict[str, object]:
    return {"error": {"code": status, "message": reason, "errors": [{"reason": reason}]}}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (403, calendar_error(403, "rateLimitExceeded"), GoogleRetryable),
        (403, calendar_error(403, "userRateLimitExceeded"), GoogleRetryable),
        (429, calendar_error(429, "rateLimitExceeded"), GoogleRetryable),
        (500, calendar_error(500, "backendError"), GoogleRetryable),
        (503, "not json", GoogleRetryable),
        (403, calendar_error(403, "forbidden"), GooglePermanent),
        (400, calendar_error(400, "invalid"), GooglePermanent),
        (409, calendar_error(409, "duplicate"), GooglePermanent),
        (404, calendar_error(404, "notFound"), GoogleNotFound),
        (410, calendar_error(410, "deleted"), GoogleNotFound),
        (400, {"error": "invalid_grant", "error_description": "Bad"}, GoogleGrantRevoked),
    ],
)
async def test_google_answers_map_to_the_error_tree(
    status: int, body: object, expected: type[GoogleError]
) -> None:
    gateway = GoogleGateway(
        Settings(environment="test", google_retry_backoff_seconds=0.0),
        transport=answer(status, body),
    )

    with pytest.raises(GoogleError) as caught:
        await gateway.send("GET", "http://google.test/x")

    assert type(caught.value) is expected
    assert caught.value.status == status


async def test_only_retryable_failures_are_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused")
        if len(calls) == 2:
            return httpx.Response(400, json=calendar_error(400, "invalid"))
        return httpx.Response(200, json={})

    gateway = GoogleGateway(
        Settings(environment="test", google_retry_backoff_seconds=0.0),
        transport=httpx.MockTransport(handler),
    )

    with pytest.raises(GooglePermanent):
        await gateway.send("GET", "http://google.test/x", retries=5)
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("total", "page", "per_page", "last_page"),
    [(0, 1, 15, 1), (1, 1, 15, 1), (15, 1, 15, 1), (16, 2, 15, 2), (51, 1, 50, 2), (51, 9, 15, 4)],
)
def test_page_meta(total: int, page: int, per_page: int, last_page: int) -> None:
    meta = page_meta(total, page, per_page)

    assert meta.model_dump() == {
        "current_page": page,
        "last_page": last_page,
        "per_page": per_page,
        "total": total,
    }
