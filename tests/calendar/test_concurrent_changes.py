"""A calendar change racing an event change never ends in a 500 (PostgreSQL deadlock)."""

from __future__ import annotations

import asyncio

from tests.support.api import WorkspaceFixture


async def test_flipping_overlap_while_events_are_updated_never_fails(
    ws: WorkspaceFixture,
) -> None:
    calendar = await ws.calendar(allowOverlap=True)
    events = [
        await ws.event(
            calendar["id"],
            title=f"Slot {n}",
            startTime=f"2026-04-13T{9 + n:02d}:00:00",
            endTime=f"2026-04-13T{9 + n:02d}:30:00",
        )
        for n in range(4)
    ]
    for attempt in range(10):
        responses = await asyncio.gather(
            *[
                ws.put(f"/calendar-events/{event['id']}", json={"title": f"Try {attempt}"})
                for event in events
            ],
            ws.patch(f"/calendars/{calendar['id']}", json={"allowOverlap": attempt % 2 == 0}),
        )
        assert [r.status_code for r in responses] == [200] * 5, [r.text for r in responses]
