"""A rule whose email template runs until its time limit does not stall the server it runs in:
the in-process worker renders it in a thread, so /healthz keeps answering meanwhile, and the
run ends with a visible error."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.concurrency.conftest import LiveServer, serve
from tests.support.databases import TestDatabase

# About a millisecond of C per iteration, 100 000 of them: only the time limit stops it.
SLOW = "{% for i in range(100000) %}{{ range(100000)|sum }}{% endfor %}"


@pytest.fixture
async def server(test_db: TestDatabase, tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(test_db, tmp_path, "create_with_worker") as live:
        yield live


async def _failed_action(client: httpx.AsyncClient, server: LiveServer, rule_id: int) -> Any:
    while True:
        url = server.url(f"/event-rules/{rule_id}/runs")
        runs = await client.get(url, headers=server.headers())
        items = runs.json()["items"]
        if items and items[0]["actions"][0]["status"] != "pending":
            return items[0]["actions"][0]
        await asyncio.sleep(0.05)


async def test_healthz_answers_while_a_slow_template_renders(server: LiveServer) -> None:
    async with httpx.AsyncClient(timeout=120) as client:
        action = {"type": "email", "to": ["desk@example.com"], "subject": "s", "body": SLOW}
        rule = await client.post(
            server.url("/event-rules"),
            headers=server.headers(),
            json={"name": "Slow", "triggers": ["event.created"], "actions": [action]},
        )
        assert rule.status_code == 201, rule.text
        booked = await client.post(
            server.url("/calendar-events"),
            headers=server.headers(),
            json={
                "calendarId": server.calendar_id,
                "title": "Intro",
                "startTime": "2026-04-13T09:00:00",
                "endTime": "2026-04-13T09:30:00",
            },
        )
        assert booked.status_code == 201, booked.text
        answered: list[float] = []

        async def probe() -> None:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=120) as health:
                while True:
                    started = time.monotonic()
                    assert (await health.get("/healthz")).status_code == 200
                    answered.append(time.monotonic() - started)
                    await asyncio.sleep(0.02)

        probing = asyncio.create_task(probe())
        try:
            async with asyncio.timeout(60):
                outcome = await _failed_action(client, server, rule.json()["id"])
        finally:
            probing.cancel()
    assert outcome["status"] == "failed"
    assert "template error: the template ran longer than 1 s" in outcome["error"]
    # The render took a second of wall-clock time; the server kept answering through it (on the
    # event loop it answered nothing until the render ended). Latencies: bench/, not here.
    assert len(answered) >= 5
