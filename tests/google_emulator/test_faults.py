"""Fault injection through the control API: errors, latency, dropped responses."""

from __future__ import annotations

import time

import httpx
import pytest

from calbridge_google_emulator import GoogleEmulator, ResponseDropped

from .flows import EVENTS, add_fault, connect, timed_event

BODY = timed_event("2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z")


@pytest.mark.parametrize(
    ("kind", "status", "domain", "reason"),
    [
        ("rate_limit_403", 403, "usageLimits", "rateLimitExceeded"),
        ("rate_limit_429", 429, "usageLimits", "rateLimitExceeded"),
        ("backend_error_500", 500, "global", "backendError"),
        ("unavailable_503", 503, "global", "backendError"),
    ],
)
async def test_next_n_calls_fail_then_calls_succeed(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    kind: str,
    status: int,
    domain: str,
    reason: str,
) -> None:
    await add_fault(client, kind=kind, count=2)
    for _ in range(2):
        response = await client.get(EVENTS, headers=auth)
        assert response.status_code == status
        error = response.json()["error"]
        assert error["code"] == status
        assert error["errors"][0]["domain"] == domain
        assert error["errors"][0]["reason"] == reason
    assert (await client.get(EVENTS, headers=auth)).status_code == 200


async def test_failed_write_changes_nothing(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await add_fault(client, kind="unavailable_503")
    assert (await client.post(EVENTS, json=BODY, headers=auth)).status_code == 503
    assert emulator.events() == []


async def test_429_can_carry_retry_after(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await add_fault(client, kind="rate_limit_429", retryAfter=7)
    response = await client.get(EVENTS, headers=auth)
    assert response.headers["retry-after"] == "7"


async def test_faults_select_by_method_and_path_prefix(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await add_fault(client, kind="backend_error_500", method="POST", pathPrefix="/calendar/v3/")
    assert (await client.get(EVENTS, headers=auth)).status_code == 200
    token_call = await client.post("/token", data={"grant_type": "x"})
    assert token_call.status_code == 401
    assert (await client.post(EVENTS, json=BODY, headers=auth)).status_code == 500
    assert (await client.post(EVENTS, json=BODY, headers=auth)).status_code == 200


async def test_faults_never_hit_the_control_api(client: httpx.AsyncClient) -> None:
    await add_fault(client, kind="backend_error_500", count=3)
    assert (await client.get("/_emulator/state")).status_code == 200
    faults = (await client.get("/_emulator/faults")).json()["faults"]
    assert [f["remaining"] for f in faults] == [3]
    assert (await client.delete("/_emulator/faults")).status_code == 204
    assert (await client.get("/_emulator/faults")).json() == {"faults": []}


async def test_unknown_fault_kind_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/_emulator/faults", json={"kind": "explode"})
    assert response.status_code == 400


async def test_latency_delays_the_answer(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await add_fault(client, kind="latency", seconds=0.3)
    started = time.monotonic()
    response = await client.get(EVENTS, headers=auth)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await client.get(EVENTS, headers=auth)
    assert time.monotonic() - started < 0.3


async def test_drop_response_does_the_write_but_the_client_gets_no_reply(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await add_fault(client, kind="drop_response", method="POST")
    with pytest.raises(httpx.RemoteProtocolError) as caught:
        await client.post(EVENTS, json=BODY | {"id": "dropped001"}, headers=auth)
    assert isinstance(caught.value, ResponseDropped)
    assert [e["id"] for e in emulator.events()] == ["dropped001"]
    retry = await client.post(EVENTS, json=BODY | {"id": "dropped001"}, headers=auth)
    assert retry.status_code == 409


async def test_control_revoke_breaks_refresh_and_access_tokens(
    emulator: GoogleEmulator, client: httpx.AsyncClient
) -> None:
    tokens = await connect(client)
    response = await client.post("/_emulator/revoke", json={"email": "testuser@example.com"})
    assert response.json() == {"revoked": 1}
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": "calbridge-dev",
        "client_secret": "calbridge-dev-secret",
    }
    refreshed = await client.post("/token", data=form)
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get(EVENTS, headers=auth)).status_code == 401


async def test_control_registers_a_non_expiring_access_token(
    emulator: GoogleEmulator, client: httpx.AsyncClient
) -> None:
    response = await client.post("/_emulator/access-tokens", json={"token": "dev-token"})
    assert response.status_code == 201
    emulator.advance_clock(10 * 365 * 24 * 3600)
    listed = await client.get(EVENTS, headers={"Authorization": "Bearer dev-token"})
    assert listed.status_code == 200


async def test_control_state_lists_every_event_including_cancelled(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    kept = (await client.post(EVENTS, json=BODY, headers=auth)).json()
    gone = (await client.post(EVENTS, json=BODY, headers=auth)).json()
    await client.delete(f"{EVENTS}/{gone['id']}", headers=auth)
    state = (await client.get("/_emulator/state")).json()
    assert {e["id"]: e["status"] for e in state["events"]} == {
        kept["id"]: "confirmed",
        gone["id"]: "cancelled",
    }
    assert {e["calendarId"] for e in state["events"]} == {"testuser@example.com"}
    assert state["users"][0]["email"] == "testuser@example.com"


async def test_control_reset_forgets_events_grants_and_faults(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await client.post(EVENTS, json=BODY | {"id": "before00"}, headers=auth)
    await add_fault(client, kind="backend_error_500", pathPrefix="/oauth2/")
    assert (await client.post("/_emulator/reset")).status_code == 204
    state = (await client.get("/_emulator/state")).json()
    assert state["events"] == [] and state["grants"] == [] and state["faults"] == []
    assert (await client.get(EVENTS, headers=auth)).status_code == 401
    fresh = {"Authorization": "Bearer " + emulator.issue_access_token()}
    assert (await client.post(EVENTS, json=BODY | {"id": "before00"}, headers=fresh)).is_success


async def test_configured_static_tokens_survive_reset() -> None:
    emulator = GoogleEmulator(static_access_tokens=("static-token",))
    emulator.reset()
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e.test") as client:
        response = await client.get(EVENTS, headers={"Authorization": "Bearer static-token"})
    assert response.status_code == 200


async def test_control_clock_advance_expires_tokens(
    emulator: GoogleEmulator, client: httpx.AsyncClient
) -> None:
    token = emulator.issue_access_token(expires_in=30)
    auth = {"Authorization": f"Bearer {token}"}
    assert (await client.get(EVENTS, headers=auth)).status_code == 200
    assert (await client.post("/_emulator/clock/advance", json={"seconds": 31})).is_success
    assert (await client.get(EVENTS, headers=auth)).status_code == 401
