"""The console script, run for real: uvicorn on a free port, one authenticated call."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

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
