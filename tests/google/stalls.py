"""Holding a call to the emulator at Google for a while, to see what calbridge does meanwhile.

``stall`` adds a latency fault through the emulator's control API; ``reached`` waits until the
stalled request has arrived (the fault is used up), so what a test does next happens while
calbridge waits on Google.
"""

from __future__ import annotations

import asyncio

import httpx

from tests.support.api import WorkspaceFixture


async def stall(google: httpx.AsyncClient, path_prefix: str, seconds: float = 2.0) -> int:
    """The next request to ``path_prefix`` waits ``seconds`` at Google; the fault's id."""
    body = {"kind": "latency", "seconds": seconds, "pathPrefix": path_prefix, "count": 1}
    response = await google.post("/_emulator/faults", json=body)
    assert response.status_code == 201, response.text
    fault_id: int = response.json()["id"]
    return fault_id


async def reached(google: httpx.AsyncClient, fault_id: int) -> None:
    """Return once the stalled request is at Google (waiting out its latency)."""
    for _ in range(1000):
        faults = (await google.get("/_emulator/faults")).json()["faults"]
        if all(fault["id"] != fault_id for fault in faults):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the stalled request never reached Google")


async def book(ws: WorkspaceFixture, calendar_id: int) -> httpx.Response:
    """A booking through the API (a write: on SQLite it needs the database's write lock)."""
    return await ws.post(
        "/calendar-events",
        json={
            "calendarId": calendar_id,
            "title": "Booked meanwhile",
            "startTime": "2026-04-13T10:00:00",
            "endTime": "2026-04-13T10:30:00",
        },
    )
