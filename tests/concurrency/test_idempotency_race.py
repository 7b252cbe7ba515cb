"""One Idempotency-Key sent by many clients at once, over real HTTP: one booking, no more."""

from __future__ import annotations

import httpx
import pytest

from tests.concurrency.conftest import LiveServer, all_at_once

pytestmark = pytest.mark.slow

CLIENTS = 20


async def test_same_key_from_many_clients_books_once(live_server: LiveServer) -> None:
    body = {
        "calendarId": live_server.calendar_id,
        "title": "Retry storm",
        "startTime": "2026-04-13T09:00:00",
        "endTime": "2026-04-13T09:30:00",
    }

    async def book(client: httpx.AsyncClient, _: int) -> httpx.Response:
        return await client.post(
            live_server.url("/calendar-events"),
            headers=live_server.headers(**{"Idempotency-Key": "storm-1"}),
            json=body,
        )

    responses = await all_at_once(live_server, CLIENTS, book)

    originals = [
        r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    ]
    assert len(originals) == 1, [(r.status_code, r.text) for r in responses]
    original = originals[0]
    for response in responses:
        if response is original:
            continue
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency_in_progress", response.text
        else:
            assert response.headers.get("Idempotent-Replayed") == "true", response.text
            assert response.status_code == original.status_code
            assert response.content == original.content
            assert response.headers["Location"] == original.headers["Location"]
    stored = await live_server.scalar(
        "SELECT count(*) FROM events WHERE calendar_id = :c", c=live_server.calendar_id
    )
    assert stored == 1
    assert await live_server.scalar("SELECT count(*) FROM outbox_jobs") == 1

    # Once the first request is done, the key replays for everybody.
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=60.0) as client:
        again = await book(client, 0)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == original.json()
    assert await live_server.scalar("SELECT count(*) FROM events") == 1
