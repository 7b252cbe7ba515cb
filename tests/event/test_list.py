"""GET /calendar-events (CONTRACT §3.3): filters, [startDate, endDate) overlap, sorting, paging.

2026-04-13 is a Monday; Amsterdam is +02:00 and New York -04:00 on that day.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from calbridge.event import repository
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase
from tests.support.problems import assert_problem

SORT_FIELDS = ("startTime", "endTime", "createdAt", "updatedAt", "title")


async def listed(ws: WorkspaceFixture, **query: Any) -> dict[str, Any]:
    response = await ws.get(f"/calendar-events?{urlencode(query)}", token="read")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def ids(ws: WorkspaceFixture, **query: Any) -> list[int]:
    return [item["id"] for item in (await listed(ws, pageSize=100, **query))["items"]]


async def test_date_range_is_overlap_of_half_open_intervals(ws: WorkspaceFixture) -> None:
    cid = (await ws.calendar())["id"]
    a = await ws.event(cid, startTime="2026-04-13T09:00:00", endTime="2026-04-13T09:30:00")
    b = await ws.event(cid, startTime="2026-04-13T09:30:00", endTime="2026-04-13T10:00:00")
    c = await ws.event(cid, startTime="2026-04-13T10:00:00", endTime="2026-04-13T11:00:00")
    day = "2026-04-13T"
    assert await ids(ws, startDate=f"{day}09:30:00", endDate=f"{day}10:00:00") == [b["id"]]
    assert await ids(ws, startDate=f"{day}09:29:00", endDate=f"{day}10:00:00") == [
        a["id"],
        b["id"],
    ]
    assert await ids(ws, startDate=f"{day}09:40:00", endDate=f"{day}09:50:00") == [b["id"]]
    assert await ids(ws, startDate=f"{day}10:00:00") == [c["id"]]
    assert await ids(ws, endDate=f"{day}09:30:00") == [a["id"]]
    assert await ids(ws, startDate=f"{day}11:00:00") == []
    # With offsets, the instants count: 07:30Z is 09:30 in Amsterdam.
    assert await ids(ws, startDate=f"{day}07:30:00Z", endDate=f"{day}08:00:00+00:00") == [b["id"]]

    # An event that began weeks before the range and runs through it overlaps it.
    other = (await ws.calendar(name="Long"))["id"]
    long = await ws.event(other, startTime="2026-03-20T08:00:00", endTime="2026-04-20T08:00:00")
    window = {"startDate": f"{day}09:30:00", "endDate": f"{day}10:00:00"}
    assert await ids(ws, **window) == [long["id"], b["id"]]
    assert await ids(ws, calendarId=other, **window) == [long["id"]]
    assert await ids(ws, calendarId=other, startDate="2026-04-20T08:00:00") == []
    # Still found after it moves to another calendar, or grows.
    third = (await ws.calendar(name="Third"))["id"]
    moved = await ws.put(f"/calendar-events/{long['id']}", json={"calendarId": third})
    assert moved.status_code == 200, moved.text
    assert await ids(ws, calendarId=third, **window) == [long["id"]]
    grown = await ws.put(f"/calendar-events/{c['id']}", json={"endTime": "2026-05-30T11:00:00"})
    assert grown.status_code == 200, grown.text
    assert c["id"] in await ids(ws, startDate="2026-05-29T00:00:00")


async def test_naive_dates_are_local_to_the_calendar_or_the_workspace(
    ws: WorkspaceFixture,
) -> None:
    new_york = (await ws.calendar(name="NY", timezone="America/New_York"))["id"]
    amsterdam = (await ws.calendar(name="AMS"))["id"]
    ny_event = await ws.event(new_york)  # 09:00 in New York = 15:00 in Amsterdam
    ams_event = await ws.event(amsterdam)  # 09:00 in Amsterdam
    morning = {"startDate": "2026-04-13T08:30:00", "endDate": "2026-04-13T09:30:00"}
    assert await ids(ws, **morning) == [ams_event["id"]]
    assert await ids(ws, calendarId=new_york, **morning) == [ny_event["id"]]
    assert await ids(ws, calendarId=amsterdam, **morning) == [ams_event["id"]]

    gap = await ws.get("/calendar-events?startDate=2026-03-29T02:30:00")
    problem = assert_problem(gap, 422, "nonexistent_local_time")
    assert [error["field"] for error in problem["errors"]] == ["startDate"]
    # 02:30 exists in New York on that day.
    assert await ids(ws, calendarId=new_york, startDate="2026-03-29T02:30:00") == [ny_event["id"]]


async def test_filters_by_calendar_and_status(
    ws: WorkspaceFixture, other_ws: WorkspaceFixture
) -> None:
    room_a = (await ws.calendar(name="A"))["id"]
    room_b = (await ws.calendar(name="B"))["id"]
    confirmed = await ws.event(room_a)
    tentative = await ws.event(room_b, status="tentative")
    cancelled = await ws.event(
        room_a, startTime="2026-04-14T09:00:00", endTime="2026-04-14T10:00:00"
    )
    await ws.post(f"/calendar-events/{cancelled['id']}/cancel")
    await other_ws.event((await other_ws.calendar())["id"])

    assert await ids(ws) == [confirmed["id"], tentative["id"], cancelled["id"]]
    assert await ids(ws, calendarId=room_a) == [confirmed["id"], cancelled["id"]]
    assert await ids(ws, calendarId=room_b) == [tentative["id"]]
    assert await ids(ws, status="confirmed") == [confirmed["id"]]
    assert await ids(ws, status="tentative") == [tentative["id"]]
    assert await ids(ws, status="cancelled") == [cancelled["id"]]
    assert await ids(ws, calendarId=room_b, status="cancelled") == []
    assert await ids(ws, calendarId=999999) == []
    page = await listed(ws, calendarId=room_a, status="cancelled")
    assert page["total"] == 1
    assert page["items"][0]["status"] == "cancelled"


def sort_key(field: str, item: dict[str, Any]) -> tuple[Any, int]:
    value = item[field]
    return (value if field == "title" else datetime.fromisoformat(value), item["id"])


async def test_sorting_by_each_field_both_ways_ties_by_id(ws: WorkspaceFixture) -> None:
    cid = (await ws.calendar(allowOverlap=True))["id"]
    day = "2026-04-13T"
    made = [
        await ws.event(cid, title=title, startTime=f"{day}{start}:00", endTime=f"{day}{end}:00")
        for title, start, end in [
            ("beta", "09:00", "10:00"),
            ("alpha", "09:00", "09:30"),
            ("beta", "08:00", "10:00"),
            ("gamma", "08:00", "09:30"),
            ("alpha", "10:00", "11:00"),
            ("delta", "07:00", "12:00"),
        ]
    ]
    # updatedAt order differs from creation order.
    for event in (made[2], made[0]):
        response = await ws.put(f"/calendar-events/{event['id']}", json={"location": "Moved"})
        assert response.status_code == 200, response.text

    everything = (await listed(ws, pageSize=100))["items"]
    assert [item["id"] for item in everything] == [
        item["id"] for item in sorted(everything, key=lambda item: sort_key("startTime", item))
    ]
    for field in SORT_FIELDS:
        expected = [item["id"] for item in sorted(everything, key=lambda i: sort_key(field, i))]
        assert await ids(ws, sortBy=field) == expected, field
        assert await ids(ws, sortBy=field, sortOrder="asc") == expected, field
        assert await ids(ws, sortBy=field, sortOrder="desc") == expected[::-1], field
    # The ties are real: same titles, same starts, same ends.
    assert await ids(ws, sortBy="title") == [made[n]["id"] for n in (1, 4, 0, 2, 5, 3)]


async def test_paging_totals_and_last_page(ws: WorkspaceFixture) -> None:
    cid = (await ws.calendar(allowOverlap=True))["id"]
    made = [(await ws.event(cid, title=f"e{n}"))["id"] for n in range(5)]
    first = await listed(ws, pageSize=2)
    assert {key: first[key] for key in ("total", "page", "pageSize", "pages")} == {
        "total": 5,
        "page": 1,
        "pageSize": 2,
        "pages": 3,
    }
    pages = [first["items"]] + [(await listed(ws, pageSize=2, page=n))["items"] for n in (2, 3)]
    assert [len(items) for items in pages] == [2, 2, 1]
    assert [item["id"] for items in pages for item in items] == made
    beyond = await listed(ws, pageSize=2, page=4)
    assert beyond["items"] == []
    assert beyond["total"] == 5
    default = await listed(ws)
    assert default["page"] == 1
    assert default["pageSize"] == 20
    assert default["pages"] == 1
    exact = await listed(ws, pageSize=5)
    assert exact["pages"] == 1
    assert len((await listed(ws, pageSize=100))["items"]) == 5


async def test_bad_query_values_are_422(ws: WorkspaceFixture) -> None:
    bad = [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=one", "page"),
        ("pageSize=0", "pageSize"),
        ("pageSize=101", "pageSize"),
        ("sortBy=start_time", "sortBy"),
        ("sortBy=id", "sortBy"),
        ("sortOrder=up", "sortOrder"),
        ("status=done", "status"),
        ("calendarId=abc", "calendarId"),
        ("startDate=yesterday", "startDate"),
        ("endDate=2026-13-01T00:00:00", "endDate"),
    ]
    for query, field in bad:
        response = await ws.get(f"/calendar-events?{query}", token="read")
        problem = assert_problem(response, 422, "validation_error")
        assert [error["field"] for error in problem["errors"]] == [field], query


async def test_the_admin_title_search_takes_percent_and_underscore_as_text(
    test_db: TestDatabase, ws: WorkspaceFixture
) -> None:
    cid = (await ws.calendar(allowOverlap=True))["id"]
    titles = ["50% OFF", "50 0ff", "a_b", "axb", "a/b"]
    made = {title: (await ws.event(cid, title=title))["id"] for title in titles}

    async def found(text: str) -> set[str]:
        async with test_db.database.session(write=False) as session:
            paged = await repository.page_events(
                session,
                ws.workspace.id,
                calendar_id=cid,
                start_at=None,
                end_at=None,
                status=None,
                sort_by="title",
                descending=False,
                page=1,
                size=20,
                title_contains=text,
            )
        return {
            title for title, event_id in made.items() if event_id in {e.id for e in paged.items}
        }

    assert await found("%") == {"50% OFF"}
    assert await found("0% off") == {"50% OFF"}  # case ignored
    assert await found("_") == {"a_b"}
    assert await found("/") == {"a/b"}
    assert await found("a") == {"a_b", "axb", "a/b"}
