"""Rule 4 under real concurrency: many clients, one uvicorn server, one calendar."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from tests.concurrency.conftest import LiveServer, all_at_once

pytestmark = pytest.mark.slow

CLIENTS = 50


def _booking(server: LiveServer, start: datetime, minutes: int = 30) -> dict[str, object]:
    return {
        "calendarId": server.calendar_id,
        "title": "Race",
        "startTime": start.isoformat(),
        "endTime": (start + timedelta(minutes=minutes)).isoformat(),
    }


async def test_one_slot_many_clients_exactly_one_wins(live_server: LiveServer) -> None:
    start = datetime(2026, 4, 13, 9, 0)

    async def book(client: httpx.AsyncClient, _: int) -> httpx.Response:
        return await client.post(
            live_server.url("/calendar-events"),
            headers=live_server.headers(),
            json=_booking(live_server, start),
        )

    responses = await all_at_once(live_server, CLIENTS, book)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * (CLIENTS - 1), [r.text for r in responses if r.is_error]
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "slot_conflict"
    winner = next(response.json() for response in responses if response.status_code == 201)
    stored = await live_server.scalar(
        "SELECT count(*) FROM events WHERE calendar_id = :c", c=live_server.calendar_id
    )
    assert stored == 1
    assert winner["calendarId"] == live_server.calendar_id
    assert await live_server.overlapping_pairs() == []


async def test_staggered_overlapping_slots_accept_no_overlapping_pair(
    live_server: LiveServer,
) -> None:
    # 30-minute slots every 10 minutes: each overlaps the two before and the two after it.
    first = datetime(2026, 4, 13, 8, 0)
    starts = [first + timedelta(minutes=10 * index) for index in range(CLIENTS)]

    async def book(client: httpx.AsyncClient, index: int) -> httpx.Response:
        return await client.post(
            live_server.url("/calendar-events"),
            headers=live_server.headers(),
            json=_booking(live_server, starts[index]),
        )

    responses = await all_at_once(live_server, CLIENTS, book)

    accepted: list[tuple[datetime, datetime]] = []
    refused: list[tuple[datetime, datetime]] = []
    for index, response in enumerate(responses):
        slot = (starts[index], starts[index] + timedelta(minutes=30))
        if response.status_code == 201:
            accepted.append(slot)
        else:
            assert response.status_code == 409, response.text
            assert response.json()["code"] == "slot_conflict"
            refused.append(slot)
    assert accepted
    for i, (start_a, end_a) in enumerate(accepted):
        for start_b, end_b in accepted[i + 1 :]:
            assert not (start_a < end_b and start_b < end_a), "two accepted slots overlap"
    # A refusal needs a reason: every refused slot overlaps one that was accepted.
    for start, end in refused:
        assert any(s < end and start < e for s, e in accepted), (start, end)
    stored = await live_server.scalar(
        "SELECT count(*) FROM events WHERE calendar_id = :c", c=live_server.calendar_id
    )
    assert stored == len(accepted)
    assert await live_server.overlapping_pairs() == []


async def test_buffers_hold_under_concurrency(live_server: LiveServer) -> None:
    """The exclusion constraint sees raw intervals only; with buffers, bookings of the calendar
    are serialised, so of two slots too close for the buffer exactly one is booked."""
    async with httpx.AsyncClient(timeout=30) as client:
        patched = await client.patch(
            live_server.url(f"/calendars/{live_server.calendar_id}"),
            headers=live_server.headers(),
            json={"bufferAfterMinutes": 15},
        )
    assert patched.status_code == 200, patched.text
    # Two 30-minute slots 5 minutes apart: they do not overlap, but the buffer keeps them apart.
    starts = [datetime(2026, 4, 13, 8, 0), datetime(2026, 4, 13, 8, 35)]

    async def book(client: httpx.AsyncClient, index: int) -> httpx.Response:
        return await client.post(
            live_server.url("/calendar-events"),
            headers=live_server.headers(),
            json=_booking(live_server, starts[index % 2]),
        )

    responses = await all_at_once(live_server, CLIENTS, book)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * (CLIENTS - 1), [r.text for r in responses if r.is_error]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_conflict"}
    stored = await live_server.scalar(
        "SELECT count(*) FROM events WHERE calendar_id = :c AND status <> 'cancelled'",
        c=live_server.calendar_id,
    )
    assert stored == 1
