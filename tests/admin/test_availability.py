"""The calendar form's availability editor over HTTP, as a browser without JavaScript uses it:
its buttons add, remove and copy rows (the page comes back changed, nothing saved), and each
refused row carries its own error (aria-invalid + aria-describedby)."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.admin.conftest import Panel, saved_id
from tests.support.api import WorkspaceFixture

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def calendar_form(**fields: Any) -> dict[str, Any]:
    return {"name": "Studio", "timezone": "Europe/Amsterdam", "availability": "hours", **fields}


def values(page: str, name: str) -> list[str]:
    return re.findall(rf'name="{re.escape(name)}" value="([^"]*)"', page)


def is_on(page: str, day: str) -> bool:
    return re.search(rf'id="open-{day}" data-day-switch\s+checked', page) is not None


def row_error(page: str, key: str) -> str:
    match = re.search(rf'id="{key}-error"[^>]*>([^<]*)<', page)
    assert match, f"no error on row {key}"
    return html.unescape(match.group(1))


async def test_rows_are_added_removed_and_copied_without_javascript(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    url = f"/admin/w/{ws.uuid}/calendars"
    new = (await panel.get(f"{url}/new")).text
    assert values(new, "monday-start") == []  # no fixed rows, no row defaults to Monday
    assert 'placeholder="09:00"' not in new

    added = await panel.post(url, calendar_form(edit="add:tuesday"))
    assert added.status_code == 200
    assert values(added.text, "tuesday-start") == [""]
    assert is_on(added.text, "tuesday")

    typed = calendar_form(
        **{
            "open-monday": "on",
            "monday-start": ["09:00", "13:00"],
            "monday-end": ["12:00", "17:00"],
        }
    )
    removed = await panel.post(url, {**typed, "edit": "remove:monday:0"})
    assert values(removed.text, "monday-start") == ["13:00"]

    copied = await panel.post(url, {**typed, "edit": "copy:monday"})
    for day in WEEKDAYS:
        assert values(copied.text, f"{day}-start") == ["09:00", "13:00"], day
        assert values(copied.text, f"{day}-end") == ["12:00", "17:00"], day
    assert values(copied.text, "saturday-start") == []

    exception = await panel.post(url, {**typed, "edit": "add:exception"})
    assert values(exception.text, "exception-0-date") == [""]
    listed = await ws.get("/calendars")
    assert listed.json()["items"] == []  # editing steps save nothing


async def test_copied_weekdays_and_a_dated_exception_are_saved_as_the_api_shows_them(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    url = f"/admin/w/{ws.uuid}/calendars"
    copied = await panel.add(
        ws.uuid,
        "calendars",
        calendar_form(
            **{"open-monday": "on", "monday-start": "09:00", "monday-end": "17:00"},
            edit="copy:monday",
        ),
    )
    form: dict[str, Any] = {
        "name": "Studio",
        "timezone": "Europe/Amsterdam",
        "availability": "hours",
        "exception-0-date": "2026-12-24",
    }
    for day in WEEKDAYS:
        assert is_on(copied.text, day)
        form |= {f"open-{day}": "on", f"{day}-start": "09:00", f"{day}-end": "17:00"}
    saved = await panel.post(url, form)
    assert saved.status_code == 303, saved.text
    calendar_id = saved_id(saved)
    api = (await ws.get(f"/calendars/{calendar_id}")).json()
    assert api["availability"] == {
        "weekly": [{"day": day, "start": "09:00", "end": "17:00"} for day in WEEKDAYS],
        "exceptions": [{"date": "2026-12-24", "windows": []}],
    }
    shown = (await panel.get(f"{url}/{calendar_id}")).text
    assert values(shown, "friday-end") == ["17:00"]
    assert values(shown, "exception-0-date") == ["2026-12-24"]

    always = await panel.post(f"{url}/{calendar_id}", {**form, "availability": "always"})
    assert always.status_code == 303
    assert (await ws.get(f"/calendars/{calendar_id}")).json()["availability"] is None


async def test_each_refused_row_shows_its_own_error_and_nothing_is_saved(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    refused = await panel.add(
        ws.uuid,
        "calendars",
        calendar_form(
            **{
                "open-tuesday": "on",
                "tuesday-start": "9",
                "tuesday-end": "10:00",
                "open-wednesday": "on",
                "exception-0-date": "2026-12-24",
                "exception-1-date": "2026-12-24",
            }
        ),
    )
    assert refused.status_code == 422
    page = refused.text
    assert 'aria-invalid="true" aria-describedby="weekly-tuesday-0-error"' in page
    assert row_error(page, "weekly-tuesday-0") == "From must be a time of day written HH:MM."
    assert row_error(page, "weekly-wednesday").startswith("Wednesday is on but has no hours")
    assert row_error(page, "exception-1") == "2026-12-24 already has an exception above."
    assert values(page, "tuesday-start") == ["9"]  # what was typed is kept
    assert (await ws.get("/calendars")).json()["items"] == []


async def test_an_overlap_is_refused_on_its_row(panel: Panel, ws: WorkspaceFixture) -> None:
    refused = await panel.add(
        ws.uuid,
        "calendars",
        calendar_form(
            **{
                "open-monday": "on",
                "monday-start": ["09:00", "11:00", "12:00"],
                "monday-end": ["12:00", "14:00", "13:00"],
            }
        ),
    )
    assert refused.status_code == 422
    page = refused.text
    assert row_error(page, "weekly-monday-1") == "Overlaps the window 09:00-12:00 of the same day."
    assert 'aria-invalid="true" aria-describedby="weekly-monday-1-error"' in page
    assert row_error(page, "weekly-monday-2") == "Overlaps the window 11:00-14:00 of the same day."
    assert "weekly-monday-0-error" not in page  # the first window is fine
    assert (await ws.get("/calendars")).json()["items"] == []


async def test_an_overlap_is_refused_on_its_row_when_editing(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar(
        availability={"weekly": [{"day": "friday", "start": "10:00", "end": "16:00"}]}
    )
    url = f"/admin/w/{ws.uuid}/calendars/{calendar['id']}"
    shown = (await panel.get(url)).text
    assert values(shown, "friday-start") == ["10:00"]
    refused = await panel.post(
        url,
        calendar_form(
            **{
                "open-friday": "on",
                "friday-start": ["10:00", "15:00"],
                "friday-end": ["16:00", "18:00"],
                "exception-0-date": "2026-12-25",
                "exception-0-start": ["08:00", "09:00"],
                "exception-0-end": ["10:00", "11:00"],
            }
        ),
    )
    assert refused.status_code == 422
    assert row_error(refused.text, "weekly-friday-1").startswith("Overlaps the window 10:00-16:00")
    assert row_error(refused.text, "exception-0-1").startswith("Overlaps the window 08:00-10:00")
    api = (await ws.get(f"/calendars/{calendar['id']}")).json()
    assert api["availability"]["weekly"] == [{"day": "friday", "start": "10:00", "end": "16:00"}]
