"""Bad input never gets a 5xx and never writes: oversized bodies (413, announced or streamed),
bodies that are not JSON, out-of-range paging, unknown time zones, inverted times, and values
that the databases cannot store (huge ids, NUL characters, NaN, deeply nested JSON)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from tests.support.api import WorkspaceFixture
from tests.support.problems import PROBLEM_JSON, assert_problem, fields_of

if TYPE_CHECKING:  # a runtime import would make pytest try to collect it as a test class
    from tests.support.databases import TestDatabase

MIB = 1024 * 1024
PREFIX = "/api/v2/w/{workspace_uuid}"


def body_routes(app: FastAPI, ws: WorkspaceFixture) -> list[tuple[str, str]]:
    """(method, url) of every workspace route that takes a body; ids in paths are unknown ones
    (a body that cannot be read is refused before anything is looked up)."""
    routes = []
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        route = context.original_route
        if isinstance(route, APIRoute) and path.startswith(PREFIX) and route.body_field:
            url = ws.url(re.sub(r"{\w+}", "999999", path.removeprefix(PREFIX)))
            routes.extend((method, url) for method in sorted(context.methods or ()))
    return routes


async def streamed(data: bytes, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A body sent without Content-Length (chunked)."""
    for start in range(0, len(data), chunk):
        yield data[start : start + chunk]


async def test_bodies_over_1_mib_are_413_with_or_without_content_length(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar()
    event = await ws.event(calendar["id"])
    before = await test_db.row_counts()
    big = json.dumps(
        {
            "calendarId": calendar["id"],
            "title": "Big",
            "startTime": "2026-04-14T09:00:00",
            "endTime": "2026-04-14T10:00:00",
            "description": "x" * MIB,
        }
    ).encode()
    assert len(big) > MIB
    targets = [
        ("POST", "/calendar-events"),
        ("PUT", f"/calendar-events/{event['id']}"),
        ("POST", "/calendars"),
        ("PATCH", f"/calendars/{calendar['id']}"),
        ("POST", "/members"),
    ]
    json_header = {"Content-Type": "application/json"}
    for method, path in targets:
        announced = await ws.request(method, path, content=big, headers=json_header)
        assert_problem(announced, 413, "payload_too_large")
        chunked = await ws.request(method, path, content=streamed(big), headers=json_header)
        assert "content-length" not in chunked.request.headers
        assert_problem(chunked, 413, "payload_too_large")
    # Through the idempotency layer, which reads the body itself.
    for content in (big, streamed(big)):
        response = await ws.post(
            "/calendar-events",
            content=content,
            headers={**json_header, "Idempotency-Key": "big-one"},
        )
        assert_problem(response, 413, "payload_too_large")
    # A Content-Length that understates the body does not get it past the limit.
    response = await ws.post(
        "/calendar-events",
        content=streamed(big),
        headers={**json_header, "Content-Length": "100"},
    )
    assert response.status_code in {400, 413}, response.text
    assert await test_db.row_counts() == before

    # Just under the limit, the body is read and judged on its content.
    under = big[: MIB - 100] + b'"}'
    response = await ws.post("/calendar-events", content=under, headers=json_header)
    assert response.status_code == 422, response.text


async def test_bodies_that_are_not_json_are_4xx_problems(
    app: FastAPI, ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    before = await test_db.row_counts()
    bodies: list[tuple[bytes, str]] = [
        (b"not json", "application/json"),
        (b"{", "application/json"),
        (b'{"name": ', "application/json"),
        (b"", "application/json"),
        (b"[]", "application/json"),
        (b"null", "application/json"),
        (b"42", "application/json"),
        (b'"text"', "application/json"),
        (b"\xff\xfe\x00{}", "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b'{"title": "x"}', "text/plain"),
        (b"title=x&name=y", "application/x-www-form-urlencoded"),
        (b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--b--", "multipart/form-data"),
    ]
    routes = body_routes(app, ws)
    assert len(routes) >= 8
    failures = []
    for method, url in routes:
        for content, content_type in bodies:
            response = await ws.client.request(
                method,
                url,
                content=content,
                headers={**ws.headers("all"), "Content-Type": content_type},
            )
            ok = 400 <= response.status_code < 500 and response.headers.get(
                "content-type", ""
            ).startswith(PROBLEM_JSON)
            if not ok:
                failures.append(f"{method} {url} {content[:20]!r}: {response.status_code}")
    assert failures == []
    assert await test_db.row_counts() == before


async def test_paging_out_of_range_is_422(ws: WorkspaceFixture) -> None:
    for path in ("/calendars", "/members", "/calendar-events"):
        for query in ("pageSize=0", "pageSize=101", "page=0", "pageSize=-5", "pageSize=1.5"):
            response = await ws.get(f"{path}?{query}", token="read")
            problem = assert_problem(response, 422, "validation_error")
            assert fields_of(problem) == [query.split("=")[0]], (path, query)
        assert (await ws.get(f"{path}?pageSize=100&page=1", token="read")).status_code == 200


async def test_unknown_timezone_and_inverted_times_are_422_and_write_nothing(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar()
    event = await ws.event(calendar["id"])
    before = await test_db.row_counts()
    for zone in ("Nowhere/Special", "UTC+2", "+02:00", "EUROPE/AMSTERDAM"):
        response = await ws.post("/calendars", json={"name": "X", "timezone": zone})
        assert fields_of(assert_problem(response, 422, "validation_error")) == ["timezone"]
    for start, end in [
        ("2026-04-14T10:00:00", "2026-04-14T10:00:00"),
        ("2026-04-14T10:00:00", "2026-04-14T09:00:00"),
        ("2026-04-14T10:00:00+00:00", "2026-04-14T11:00:00+02:00"),  # ends 09:00Z, an hour early
        ("2026-04-14T10:00:00", "2026-04-14T08:00:00Z"),  # naive 10:00 in Amsterdam is 08:00Z
    ]:
        body = {"calendarId": calendar["id"], "title": "T", "startTime": start, "endTime": end}
        response = await ws.post("/calendar-events", json=body)
        assert fields_of(assert_problem(response, 422, "validation_error")) == ["endTime"]
        response = await ws.put(
            f"/calendar-events/{event['id']}", json={"startTime": start, "endTime": end}
        )
        assert fields_of(assert_problem(response, 422, "validation_error")) == ["endTime"]
    assert await test_db.row_counts() == before


async def test_values_the_databases_cannot_hold_are_422(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar()
    event = await ws.event(calendar["id"])
    before = await test_db.row_counts()
    huge = 10**30
    base = {
        "calendarId": calendar["id"],
        "title": "T",
        "startTime": "2026-04-14T09:00:00",
        "endTime": "2026-04-14T10:00:00",
    }
    event_bodies: list[tuple[dict[str, Any], str]] = [
        ({"calendarId": huge}, "calendarId"),
        ({"attendeeIds": [huge]}, "attendeeIds.0"),
        ({"calendarId": 0}, "calendarId"),
        ({"title": "a\u0000b"}, "title"),
        ({"description": "\u0000"}, "description"),
        ({"metadata": {"key\u0000": 1}}, "metadata"),
        ({"metadata": {"k": ["\ud800"]}}, "metadata"),
        ({"metadata": {"k": float("nan")}}, "metadata"),
        ({"metadata": {"k": [float("inf")]}}, "metadata"),
        ({"metadata": {"k": json.loads("[" * 500 + "]" * 500)}}, "metadata"),
        ({"startTime": "0001-01-01T00:00:00"}, "startTime"),
        ({"endTime": "9999-12-31T23:59:59"}, "endTime"),
    ]
    for change, field in event_bodies:
        # json.dumps writes NaN/Infinity and lone surrogates as Python's parser accepts them.
        content = json.dumps({**base, **change})
        response = await ws.post(
            "/calendar-events", content=content, headers={"Content-Type": "application/json"}
        )
        assert field in fields_of(assert_problem(response, 422, "validation_error")), change
        response = await ws.put(
            f"/calendar-events/{event['id']}",
            content=json.dumps(change),
            headers={"Content-Type": "application/json"},
        )
        assert field in fields_of(assert_problem(response, 422, "validation_error")), change
    for method, path, field in (
        ("GET", f"/calendar-events/{huge}", "eventId"),
        ("GET", f"/calendar-events/{huge}/attendees", "eventId"),
        ("GET", "/calendar-events/abc", "eventId"),
        ("DELETE", f"/calendars/{huge}", "calendarId"),
        ("PATCH", f"/members/{huge}", "memberId"),
        ("GET", f"/calendar-events?calendarId={huge}", "calendarId"),
        ("PUT", f"/calendar-events/{event['id']}/attendees/{huge}", "memberId"),
    ):
        body = {"responseStatus": "accepted"} if "/attendees/" in path else None
        body = {"name": "X"} if method == "PATCH" else body
        response = await ws.request(method, path, json=body)
        assert fields_of(assert_problem(response, 422, "validation_error")) == [field], path
    other_bodies = [
        ("/calendars", {"name": "x\u0000", "timezone": "UTC"}, "name"),
        (
            "/calendars",
            {"name": "x", "timezone": "UTC", "googleAccountId": huge},
            "googleAccountId",
        ),
        ("/members", {"name": "X", "email": "x\u0000@example.com"}, "email"),
    ]
    for path, json_body, field in other_bodies:
        response = await ws.post(path, json=json_body)
        assert field in fields_of(assert_problem(response, 422, "validation_error")), json_body
    assert await test_db.row_counts() == before
