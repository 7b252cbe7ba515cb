"""The admin panel's door into event history: its bookings and cancellations are recorded with
source ``admin`` and the admin's email, and the event page shows the history."""

from __future__ import annotations

import html

from tests.admin.conftest import ADMIN_EMAIL, Panel
from tests.support.api import WorkspaceFixture


async def test_admin_changes_are_recorded_and_shown(panel: Panel, ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar()
    booked = await panel.add(
        ws.uuid,
        "events",
        {
            "calendar_id": calendar["id"],
            "title": "Board meeting",
            "start_time": "2026-04-13T09:00",
            "end_time": "2026-04-13T10:00",
        },
    )
    assert booked.status_code == 303, booked.text
    page_path = booked.headers["location"]
    event_id = int(page_path.rsplit("/", 1)[1])
    await panel.get(page_path)
    cancelled = await panel.post(f"{page_path}/cancel", {"reason": "moved online"})
    assert cancelled.status_code == 303, cancelled.text

    response = await ws.get(f"/calendar-events/{event_id}/history")
    assert [(c["action"], c["source"], c["actor"]) for c in response.json()["items"]] == [
        ("created", "admin", ADMIN_EMAIL),
        ("cancelled", "admin", ADMIN_EMAIL),
    ]
    shown = html.unescape((await panel.get(page_path)).text)
    section = shown[shown.index('id="event-history"') :]
    assert "Created" in section and "Cancelled" in section and ADMIN_EMAIL in section
    assert "cancellationReason: — → moved online" in section
