"""Push notifications over a real socket: the emulator's own HTTP client POSTs to a
receiver served by uvicorn on 127.0.0.1 (the other channel tests use a MockTransport)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from calbridge_google_emulator import GoogleEmulator

from .flows import EVENTS, timed_event
from .receiver import WATCH, watch_body


@pytest.fixture
async def hook() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """A receiver on a free port of 127.0.0.1; yields its URL and the headers it got."""
    received: list[dict[str, str]] = []

    async def receive(request: Request) -> Response:
        received.append(dict(request.headers) | {"body": (await request.body()).decode()})
        return Response(status_code=200)

    app = Starlette(routes=[Route("/hook", receive, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        task = asyncio.create_task(server.serve(sockets=[sock]))
        async with asyncio.timeout(10):
            while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}/hook", received
        server.should_exit = True
        await task


async def test_notifications_reach_a_real_loopback_receiver(
    hook: tuple[str, list[dict[str, str]]],
) -> None:
    url, received = hook
    emulator = GoogleEmulator()
    transport = httpx.ASGITransport(app=emulator.app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://e.test") as api:
            auth = {"Authorization": "Bearer " + emulator.issue_access_token()}
            watched = await api.post(WATCH, json=watch_body(address=url), headers=auth)
            assert watched.status_code == 200
            event = timed_event("2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z")
            assert (await api.post(EVENTS, json=event, headers=auth)).status_code == 200
            await emulator.wait_for_notifications()
    finally:
        await emulator.aclose()
    assert [(r["x-goog-resource-state"], r["x-goog-message-number"]) for r in received] == [
        ("sync", "1"),
        ("exists", "2"),
    ]
    assert {r["x-goog-channel-id"] for r in received} == {"chan-1"}
    assert {r["x-goog-channel-token"] for r in received} == {"tok-1"}
    assert {r["x-goog-resource-id"] for r in received} == {watched.json()["resourceId"]}
    assert {r["content-length"] for r in received} == {"0"}
    assert [n["status"] for n in emulator.notifications()] == [200, 200]
