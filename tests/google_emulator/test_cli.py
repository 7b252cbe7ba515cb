"""The console script (run for real: uvicorn on a free port), its flags, and `create_app`."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from calbridge_google_emulator import GoogleEmulator, create_app, emulator_of
from calbridge_google_emulator.cli import config_from_args, parse_args

SCRIPT = Path(sys.executable).with_name("calbridge-google-emulator")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [str(SCRIPT), "--host", "127.0.0.1", "--port", str(port), "--access-token", "cli-token"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{base_url}/_emulator/faults", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()


def test_console_script_serves_the_calendar_api_with_its_access_token(served: str) -> None:
    response = httpx.get(
        f"{served}/calendar/v3/calendars/primary/events",
        headers={"Authorization": "Bearer cli-token"},
    )
    assert response.status_code == 200
    assert response.json()["summary"] == "testuser@example.com"
    refused = httpx.get(f"{served}/calendar/v3/calendars/primary/events")
    assert refused.status_code == 401


def test_dropped_response_over_a_socket_is_a_cut_connection(served: str) -> None:
    httpx.post(f"{served}/_emulator/faults", json={"kind": "drop_response", "method": "POST"})
    body = {"id": "cutcable001", "start": {"date": "2026-04-11"}, "end": {"date": "2026-04-12"}}
    events = f"{served}/calendar/v3/calendars/primary/events"
    auth = {"Authorization": "Bearer cli-token"}
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(events, json=body, headers=auth)
    assert httpx.get(f"{events}/cutcable001", headers=auth).status_code == 200


async def test_flags_set_the_client_credentials_user_and_token_lifetime() -> None:
    args = parse_args(
        [
            "--client-id",
            "other-id",
            "--client-secret",
            "other-secret",
            "--user-email",
            "dev@example.com",
            "--token-ttl",
            "90",
            "--access-token",
            "flag-token",
        ]
    )
    emulator = GoogleEmulator(config_from_args(args))
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e.test") as client:
        params = {
            "client_id": "other-id",
            "redirect_uri": "http://app.test/cb",
            "response_type": "code",
            "scope": "email",
            "access_type": "offline",
            "auto_approve": "true",
        }
        location = (await client.get("/o/oauth2/v2/auth", params=params)).headers["location"]
        code = parse_qs(urlsplit(location).query)["code"][0]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://app.test/cb",
        }
        old_client = form | {"client_id": "calbridge-dev", "client_secret": "calbridge-dev-secret"}
        assert (await client.post("/token", data=old_client)).status_code == 401
        new_client = form | {"client_id": "other-id", "client_secret": "other-secret"}
        tokens = (await client.post("/token", data=new_client)).json()
        assert tokens["expires_in"] == 90
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        userinfo = (await client.get("/oauth2/v3/userinfo", headers=auth)).json()
        assert userinfo["email"] == "dev@example.com"
        static = {"Authorization": "Bearer flag-token"}
        events = await client.get("/calendar/v3/calendars/primary/events", headers=static)
        assert events.json()["summary"] == "dev@example.com"


async def test_create_app_gives_an_asgi_app_with_a_reachable_handle() -> None:
    app = create_app(user_email="handle@example.com")
    emulator = emulator_of(app)
    token = emulator.issue_access_token()
    emulator.add_fault("rate_limit_429")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://e.test") as client:
        auth = {"Authorization": f"Bearer {token}"}
        assert (
            await client.get("/calendar/v3/users/me/calendarList", headers=auth)
        ).status_code == 429
        listing = (await client.get("/calendar/v3/users/me/calendarList", headers=auth)).json()
    assert [c["id"] for c in listing["items"]] == ["handle@example.com"]
