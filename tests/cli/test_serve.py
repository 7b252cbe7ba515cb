"""``calbridge serve`` behind a reverse proxy: X-Forwarded-For is believed only from the
addresses in ``--forwarded-allow-ips``."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.test_demo import CALBRIDGE, free_port
from tests.support.databases import TestDatabase

CLIENT = "203.0.113.7"  # the real client, as the proxy says


def served_client_address(test_db: TestDatabase, tmp_path: Path, *options: str) -> str:
    """Serve, make one request as a proxy on 127.0.0.1 would, and return the access log."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [str(CALBRIDGE), "serve", "--port", str(port), "--no-worker", *options],
            env=test_db.command_env(),
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/healthz",
                    headers={"X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https"},
                )
                break
            except httpx.TransportError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
    return log.read_text()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("options", "believed"),
    [
        ((), True),  # a proxy on the same machine is trusted by default
        (("--forwarded-allow-ips", "10.0.0.0/8"), False),
        (("--forwarded-allow-ips", "10.0.0.0/8,127.0.0.1"), True),
        (("--no-proxy-headers",), False),
    ],
)
async def test_forwarded_headers_are_believed_only_from_trusted_proxies(
    test_db: TestDatabase, tmp_path: Path, options: tuple[str, ...], believed: bool
) -> None:
    log = await asyncio.to_thread(served_client_address, test_db, tmp_path, *options)
    access = [line for line in log.splitlines() if "/healthz" in line]
    assert len(access) == 1, log
    assert (CLIENT in access[0]) is believed, access[0]
