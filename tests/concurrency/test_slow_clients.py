"""The embedded server (``calbridge serve``) against slow and large requests, over real sockets:
half-sent requests are cut off (408) without keeping anyone else out, huge headers are 431, and
a slow admin upload holds no database lock while it trickles in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from calbridge.admin.service import create_admin_user
from tests.admin.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Panel
from tests.concurrency.conftest import LiveServer, serve
from tests.support.databases import TestDatabase

TIMEOUTS = {
    "CALBRIDGE_HTTP_HEADER_TIMEOUT_SECONDS": "4",
    "CALBRIDGE_HTTP_BODY_TIMEOUT_SECONDS": "4",
}


@pytest.fixture
async def server(test_db: TestDatabase, tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(test_db, tmp_path, embedded=True, env_extra=TIMEOUTS) as live:
        yield live


async def _open(server: LiveServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = server.base_url.removeprefix("http://").split(":")
    return await asyncio.open_connection(host, int(port))


async def _answer(reader: asyncio.StreamReader) -> bytes:
    """The status line the server sends (b"" if it closed without one)."""
    async with asyncio.timeout(60):
        return await reader.readline()


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def _booking(server: LiveServer, minute: int) -> dict[str, object]:
    return {
        "calendarId": server.calendar_id,
        "title": "Intro",
        "startTime": f"2026-04-13T09:{minute:02d}:00",
        "endTime": f"2026-04-13T09:{minute + 1:02d}:00",
    }


async def test_half_sent_requests_are_cut_off_without_stopping_new_clients(
    server: LiveServer,
) -> None:
    half_sent = []
    for index in range(300):
        reader, writer = await _open(server)
        if index % 2:  # headers never finished
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        else:  # headers sent, body never finished
            writer.write(
                f"POST {_path(server.url('/members'))} HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: Bearer {server.token}\r\nContent-Type: application/json\r\n"
                "Content-Length: 100\r\n\r\n{".encode()
            )
        await writer.drain()
        half_sent.append((reader, writer))

    async with httpx.AsyncClient(timeout=30) as client:
        assert (await client.get(f"{server.base_url}/healthz")).status_code == 200
        booked = await client.post(
            server.url("/calendar-events"), headers=server.headers(), json=_booking(server, 0)
        )
        assert booked.status_code == 201, booked.text

    answers = [await _answer(reader) for reader, _ in half_sent]
    for _, writer in half_sent:
        writer.close()
    assert {line.split(b" ")[1] for line in answers} == {b"408"}


async def test_a_16_mb_header_is_431(server: LiveServer) -> None:
    reader, writer = await _open(server)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
    try:
        for _ in range(16):
            writer.write(b"a" * (1024 * 1024))
            await writer.drain()
        writer.write(b"\r\n\r\n")
        await writer.drain()
    except ConnectionError:
        pass  # the server may stop reading once it has answered
    assert (await _answer(reader)).startswith(b"HTTP/1.1 431 ")
    writer.close()


async def test_a_slow_admin_upload_does_not_hold_up_api_writes(
    server: LiveServer, test_db: TestDatabase
) -> None:
    async with test_db.database.transaction() as session:
        await create_admin_user(session, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as browser:
        panel = Panel(browser)
        await panel.sign_in()
        await panel.get(f"/admin/w/{server.workspace_uuid}/members")
        form = urlencode({"csrf_token": panel.csrf, "name": "Slow", "email": "slow@example.com"})
        cookies = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())

    reader, writer = await _open(server)
    try:
        await _upload_slowly(server, reader, writer, form.encode(), cookies)
    finally:
        writer.close()


async def _upload_slowly(
    server: LiveServer,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    body: bytes,
    cookies: str,
) -> None:
    writer.write(
        f"POST /admin/w/{server.workspace_uuid}/members HTTP/1.1\r\nHost: x\r\n"
        f"Cookie: {cookies}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[:10]
    )
    await writer.drain()
    await asyncio.sleep(0.5)  # the server has the headers and waits for the rest

    # An API write goes through while the upload is still coming in (it used to wait for the
    # upload's write lock, up to SQLite's 30 s busy timeout).
    async with httpx.AsyncClient(timeout=3) as client:
        booked = await client.post(
            server.url("/calendar-events"), headers=server.headers(), json=_booking(server, 10)
        )
    assert booked.status_code == 201, booked.text

    writer.write(body[10:])
    await writer.drain()
    assert (await _answer(reader)).startswith(b"HTTP/1.1 303 ")


async def test_connections_beyond_the_cap_are_refused_until_some_close(
    test_db: TestDatabase, tmp_path: Path
) -> None:
    limits = {**TIMEOUTS, "CALBRIDGE_HTTP_MAX_CONNECTIONS": "20"}
    async with serve(test_db, tmp_path, embedded=True, env_extra=limits) as live:
        idle = [await _open(live) for _ in range(20)]
        async with httpx.AsyncClient(timeout=30) as client:
            assert (await client.get(f"{live.base_url}/healthz")).status_code == 503
            for _, writer in idle:
                writer.close()
                await writer.wait_closed()
            await asyncio.sleep(0.5)  # the server sees the closes
            assert (await client.get(f"{live.base_url}/healthz")).status_code == 200
