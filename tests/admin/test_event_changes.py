"""Editing, rescheduling and deleting an event in the panel: through the event service, so the
booking rules and the API's version check hold, and a refused change leaves the event as it was."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.admin.conftest import Panel
from tests.support.api import WorkspaceFixture

VERSION = re.compile(r'name="version" value="([^"]+)"')


async def _booked(ws: WorkspaceFixture, **fields: Any) -> tuple[dict[str, Any], str]:
    """An event booked through the API in a new calendar, and the path of its panel page."""
    event = await ws.event((await ws.calendar())["id"], **fields)
    return event, f"/admin/w/{ws.uuid}/events/{event['id']}"


async def _edit_form(panel: Panel, path: str) -> dict[str, Any]:
    """What the edit form holds now, as a browser would post it back unchanged."""
    page = (await panel.get(f"{path}/edit")).text
    assert page.count('name="version"') == 1
    match = VERSION.search(page)
    assert match is not None
    values = {}
    for name in ("title", "start_time", "end_time", "location"):
        found = re.search(rf'id="{name}" name="{name}"[^>]*value="([^"]*)"', page)
        assert found is not None, name
        values[name] = html.unescape(found.group(1))
    calendar = re.search(r'<option value="(\d+)" selected', page)
    assert calendar is not None
    return {
        **values,
        "calendar_id": calendar.group(1),
        "status": "confirmed",
        "version": html.unescape(match.group(1)),
    }


async def test_an_event_is_renamed_and_rescheduled_from_its_form(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar()
    alice = await ws.member("Alice")
    event = await ws.event(calendar["id"], attendeeIds=[alice["id"]])
    path = f"/admin/w/{ws.uuid}/events/{event['id']}"
    form = await _edit_form(panel, path)
    assert form["start_time"] == "2026-04-13 09:00+02:00"  # the calendar's wall time

    saved = await panel.post(
        f"{path}/edit",
        form
        | {
            "title": "Board review",
            "start_time": "2026-04-14T15:00",
            "end_time": "2026-04-14T16:00",
            "location": "Room 4",
            "attendee_ids": [str(alice["id"])],
        },
    )
    assert saved.status_code == 303, saved.text
    shown = await panel.get(saved.headers["location"])
    assert "Event “Board review” saved." in shown.text
    assert "Event “Board review” saved." not in (await panel.get(path)).text  # shown once

    now = (await ws.get(f"/calendar-events/{event['id']}")).json()
    assert now["title"] == "Board review" and now["location"] == "Room 4"
    assert now["startTime"] == "2026-04-14T15:00:00+02:00"
    assert [a["memberId"] for a in now["attendees"]] == [alice["id"]]
    changes = (await ws.get(f"/calendar-events/{event['id']}/history")).json()["items"]
    assert [c["action"] for c in changes] == ["created", "updated"]
    assert changes[1]["source"] == "admin"


async def test_a_reschedule_into_a_taken_slot_is_refused_and_changes_nothing(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar()
    taken = await ws.event(calendar["id"], title="Taken", startTime="2026-04-13T11:00:00",
                           endTime="2026-04-13T12:00:00")  # fmt: skip
    event = await ws.event(calendar["id"])
    path = f"/admin/w/{ws.uuid}/events/{event['id']}"
    form = await _edit_form(panel, path)
    refused = await panel.post(
        f"{path}/edit",
        form | {"title": "Moved", "start_time": "2026-04-13T11:30", "end_time": "2026-04-13T12:30"},
    )
    assert refused.status_code == 422
    page = html.unescape(refused.text)
    assert f"overlaps event {taken['id']}" in page
    assert 'value="Moved"' in page  # what was typed stays in the form
    now = (await ws.get(f"/calendar-events/{event['id']}")).json()
    assert now["title"] == "Intro call" and now["startTime"] == event["startTime"]


async def test_an_empty_title_is_shown_next_to_its_field(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    event, path = await _booked(ws)
    refused = await panel.post(f"{path}/edit", await _edit_form(panel, path) | {"title": " "})
    assert refused.status_code == 422
    assert 'data-field="title"' in refused.text
    assert (await ws.get(f"/calendar-events/{event['id']}")).json()["title"] == "Intro call"


async def test_a_form_older_than_the_event_saves_nothing(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    event, path = await _booked(ws)
    form = await _edit_form(panel, path)
    changed = await ws.put(f"/calendar-events/{event['id']}", json={"location": "Elsewhere"})
    assert changed.status_code == 200  # someone else, after the form was opened

    refused = await panel.post(f"{path}/edit", form | {"title": "Mine"})
    assert refused.status_code == 422
    assert "changed elsewhere after this form was opened; nothing was saved" in refused.text
    now = (await ws.get(f"/calendar-events/{event['id']}")).json()
    assert now["title"] == "Intro call" and now["location"] == "Elsewhere"


async def test_a_cancelled_event_has_no_edit_form(panel: Panel, ws: WorkspaceFixture) -> None:
    event, path = await _booked(ws)
    await ws.post(f"/calendar-events/{event['id']}/cancel", json={})
    assert (await panel.get(f"{path}/edit")).status_code == 404
    page = await panel.get(path)
    assert "Edit or reschedule" not in page.text
    assert "Cancelled" in page.text and ">cancelled<" not in page.text  # a label, not the value
    listed = await panel.get(f"/admin/w/{ws.uuid}/events")
    assert '<span class="badge cancelled">Cancelled</span>' in listed.text


async def test_an_event_is_cancelled_then_deleted_with_its_title_in_the_messages(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    event, path = await _booked(ws, title="Intro <call>")
    await panel.get(path)
    cancelled = await panel.post(f"{path}/cancel", {"reason": "ill"})
    page = await panel.get(cancelled.headers["location"])
    assert "Event “Intro &lt;call&gt;” cancelled." in page.text
    version = VERSION.search(page.text)
    assert version is not None

    deleted = await panel.post(f"{path}/delete", {"version": html.unescape(version.group(1))})
    assert deleted.headers["location"] == f"/admin/w/{ws.uuid}/events"
    listed = await panel.get(deleted.headers["location"])
    assert "Event “Intro &lt;call&gt;” deleted." in listed.text
    assert (await ws.get(f"/calendar-events/{event['id']}")).status_code == 404


async def test_a_delete_from_a_stale_page_deletes_nothing(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    event, path = await _booked(ws)
    page = await panel.get(path)
    version = VERSION.search(page.text)
    assert version is not None
    await ws.put(f"/calendar-events/{event['id']}", json={"title": "Renamed"})
    refused = await panel.post(f"{path}/delete", {"version": html.unescape(version.group(1))})
    assert refused.headers["location"] == path
    assert "it was not deleted" in (await panel.get(path)).text
    assert (await ws.get(f"/calendar-events/{event['id']}")).status_code == 200


async def test_the_form_keeps_a_fall_back_time_on_its_own_occurrence(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    """02:30 happens twice in Amsterdam on 2026-10-25: the form shows which one (its offset)
    and a time typed with an offset lands on that occurrence."""
    twice = {"startTime": "2026-10-25T02:30:00+01:00", "endTime": "2026-10-25T03:00:00+01:00"}
    event, path = await _booked(ws, **twice)
    form = await _edit_form(panel, path)
    assert (form["start_time"], form["end_time"]) == (
        "2026-10-25 02:30+01:00",
        "2026-10-25 03:00+01:00",
    )
    saved = await panel.post(
        f"{path}/edit", form | {"start_time": "2026-10-25 02:15+01:00", "title": "Later shift"}
    )
    assert saved.status_code == 303, saved.text
    now = (await ws.get(f"/calendar-events/{event['id']}")).json()
    assert (now["startTime"], now["endTime"]) == (
        "2026-10-25T02:15:00+01:00",
        "2026-10-25T03:00:00+01:00",
    )
