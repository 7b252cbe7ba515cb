"""The account calendar API (CONTRACT §4): error precedence, pagination, entries, create."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from calbridge.account.models import Account
from calbridge.google.models import GoogleConnection
from calbridge_google_emulator import GoogleEmulator
from tests.support.api import WorkspaceFixture

from .conftest import new_account, seed

if TYPE_CHECKING:  # a runtime import would make pytest collect it as a test class
    from tests.support.databases import TestDatabase

READ_OFF = "Google Calendar read permission is disabled for this account"
WRITE_OFF = "Google Calendar write permission is disabled for this account"


def soon(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0).isoformat()


def entry(**fields: Any) -> dict[str, Any]:
    return {
        "summary": "Lunch",
        "start": {"dateTime": "2027-04-11T12:00:00+02:00", "timeZone": "Europe/Amsterdam"},
        "end": {"dateTime": "2027-04-11T13:00:00+02:00", "timeZone": "Europe/Amsterdam"},
        **fields,
    }


async def api(
    ws: WorkspaceFixture, method: str, path: str, token: str | None = "all", **kwargs: Any
) -> httpx.Response:
    headers = ws.headers(token) if token else {"Accept": "application/json"}
    return await ws.client.request(method, path, headers=headers, **kwargs)


async def set_account(test_db: TestDatabase, account_id: int, **values: Any) -> None:
    async with test_db.database.transaction() as session:
        await session.execute(update(Account).where(Account.id == account_id).values(**values))


def problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    if code is not None:
        assert body["code"] == code, body
    return body


# --- error precedence -------------------------------------------------------------------------


async def test_errors_come_in_the_contract_order(
    test_db: TestDatabase,
    ws: WorkspaceFixture,
    other_ws: WorkspaceFixture,
    connected: int,
    emulator: GoogleEmulator,
) -> None:
    """Start with everything wrong at once and fix one thing at a time: each step shows the
    next error of §4's table."""
    base = f"/api/{connected}/calendar"
    missing_event = f"{base}/nosuchevent1?per_page=0"
    await set_account(test_db, connected, google_calendar_used=False, google_read_enabled=False)
    emulator.add_fault("backend_error_500", count=100)

    problem(await api(ws, "GET", missing_event, token=None), 401)
    problem(await api(other_ws, "GET", missing_event), 404, "not_found")
    problem(await api(ws, "GET", "/api/999999/calendar"), 404, "not_found")
    problem(await api(ws, "GET", "/api/abc/calendar"), 404, "not_found")
    problem(await api(ws, "POST", base, token="read", json={}), 403, "insufficient_scope")
    problem(await api(ws, "GET", missing_event), 404, "google_not_connected")

    await set_account(test_db, connected, google_calendar_used=True)
    body = problem(await api(ws, "GET", f"{base}?per_page=0"), 403)
    assert body["detail"] == READ_OFF

    await set_account(test_db, connected, google_read_enabled=True)
    problem(await api(ws, "GET", f"{base}?per_page=0"), 422, "validation_error")
    problem(await api(ws, "GET", f"{base}/nosuchevent1"), 503, "google_unavailable")

    emulator.faults.clear()
    problem(await api(ws, "GET", f"{base}/nosuchevent1"), 404, "not_found")


async def test_write_flag_off_comes_before_body_validation(
    test_db: TestDatabase, ws: WorkspaceFixture, connected: int
) -> None:
    await set_account(test_db, connected, google_write_enabled=False)

    body = problem(await api(ws, "POST", f"/api/{connected}/calendar", json={"x": 1}), 403)

    assert body["detail"] == WRITE_OFF
    # Read stays allowed.
    assert (await api(ws, "GET", f"/api/{connected}/calendar")).status_code == 200


async def test_account_without_a_connection_is_not_connected(
    test_db: TestDatabase, ws: WorkspaceFixture
) -> None:
    account_id = await new_account(test_db, ws, used=True)

    problem(await api(ws, "GET", f"/api/{account_id}/calendar"), 404, "google_not_connected")
    problem(await api(ws, "POST", f"/api/{account_id}/calendar", json=entry()), 404)


async def test_broken_connection_is_not_connected(
    test_db: TestDatabase, ws: WorkspaceFixture, connected: int
) -> None:
    async with test_db.database.transaction() as session:
        await session.execute(update(GoogleConnection).values(status="broken"))

    problem(await api(ws, "GET", f"/api/{connected}/calendar"), 404, "google_not_connected")


# --- listing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "page", "expected"),
    [
        (0, 1, {"current_page": 1, "last_page": 1, "per_page": 15, "total": 0}),
        (1, 1, {"current_page": 1, "last_page": 1, "per_page": 15, "total": 1}),
        (15, 1, {"current_page": 1, "last_page": 1, "per_page": 15, "total": 15}),
        (16, 2, {"current_page": 2, "last_page": 2, "per_page": 15, "total": 16}),
        (51, 4, {"current_page": 4, "last_page": 4, "per_page": 15, "total": 51}),
    ],
)
async def test_meta_counts_upcoming_entries(
    ws: WorkspaceFixture,
    connected: int,
    google: httpx.AsyncClient,
    user_token: dict[str, str],
    count: int,
    page: int,
    expected: dict[str, int],
) -> None:
    # Past and deleted entries are not upcoming.
    await seed(google, user_token, start={"dateTime": soon(-3)}, end={"dateTime": soon(-2)})
    gone = await seed(google, user_token, start={"dateTime": soon(1)}, end={"dateTime": soon(2)})
    events = "/calendar/v3/calendars/primary/events"
    await google.delete(f"{events}/{gone['id']}", headers=user_token)
    for index in reversed(range(count)):
        await seed(
            google,
            user_token,
            summary=f"Entry {index:02d}",
            start={"dateTime": soon(index + 1)},
            end={"dateTime": soon(index + 1.5)},
        )

    response = await api(ws, "GET", f"/api/{connected}/calendar?page={page}")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"] == expected
    first = (page - 1) * 15
    titles = [item["title"] for item in body["data"]]
    assert titles == [f"Entry {i:02d}" for i in range(first, min(count, first + 15))]


async def test_an_entry_in_progress_is_upcoming_and_soonest_comes_first(
    ws: WorkspaceFixture, connected: int, google: httpx.AsyncClient, user_token: dict[str, str]
) -> None:
    later_start = soon(5)
    await seed(google, user_token, summary="later", start={"dateTime": later_start},
               end={"dateTime": soon(6)}, location="Room 1")  # fmt: skip
    await seed(google, user_token, summary="now", start={"dateTime": soon(-1)},
               end={"dateTime": soon(1)})  # fmt: skip

    body = (await api(ws, "GET", f"/api/{connected}/calendar")).json()

    assert [item["title"] for item in body["data"]] == ["now", "later"]
    later = body["data"][1]
    assert set(later) == {"id", "title", "start", "end", "location"}
    assert later["location"] == "Room 1"
    assert datetime.fromisoformat(later["start"]) == datetime.fromisoformat(later_start)


async def test_per_page_above_50_is_capped(
    ws: WorkspaceFixture, connected: int, google: httpx.AsyncClient, user_token: dict[str, str]
) -> None:
    for index in range(51):
        await seed(google, user_token, start={"dateTime": soon(index + 1)},
                   end={"dateTime": soon(index + 2)})  # fmt: skip

    body = (await api(ws, "GET", f"/api/{connected}/calendar?per_page=500")).json()

    assert len(body["data"]) == 50
    assert body["meta"] == {"current_page": 1, "last_page": 2, "per_page": 50, "total": 51}


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=abc", "per_page=0", "per_page=1.5",
                                   "per_page=", "page=2.0"])  # fmt: skip
async def test_page_and_per_page_must_be_positive_integers(
    ws: WorkspaceFixture, connected: int, query: str
) -> None:
    body = problem(await api(ws, "GET", f"/api/{connected}/calendar?{query}"), 422)

    assert body["errors"][0]["field"] in {"page", "per_page"}


async def test_all_day_entries_show_dates(
    ws: WorkspaceFixture, connected: int, google: httpx.AsyncClient, user_token: dict[str, str]
) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date()
    created = await seed(
        google,
        user_token,
        summary="Holiday",
        start={"date": tomorrow.isoformat()},
        end={"date": (tomorrow + timedelta(days=1)).isoformat()},
    )

    listed = (await api(ws, "GET", f"/api/{connected}/calendar")).json()["data"]
    detail = (await api(ws, "GET", f"/api/{connected}/calendar/{created['id']}")).json()["data"]

    assert listed == [
        {
            "id": created["id"],
            "title": "Holiday",
            "start": tomorrow.isoformat(),
            "end": (tomorrow + timedelta(days=1)).isoformat(),
            "location": None,
        }
    ]
    assert (detail["start"], detail["end"]) == (listed[0]["start"], listed[0]["end"])


# --- one entry --------------------------------------------------------------------------------


async def test_detail_shows_the_entry_in_full(
    ws: WorkspaceFixture, connected: int, google: httpx.AsyncClient, user_token: dict[str, str]
) -> None:
    created = await seed(
        google,
        user_token,
        summary="Review",
        description="Quarterly",
        location="Room 2",
        start={"dateTime": "2027-01-05T10:00:00+01:00"},
        end={"dateTime": "2027-01-05T11:00:00+01:00"},
        attendees=[{"email": "bo@example.com", "displayName": "Bo", "responseStatus": "accepted"}],
    )

    response = await api(ws, "GET", f"/api/{connected}/calendar/{created['id']}")

    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data == {
        "id": created["id"],
        "title": "Review",
        "description": "Quarterly",
        "start": data["start"],
        "end": data["end"],
        "location": "Room 2",
        "attendees": [{"email": "bo@example.com", "name": "Bo", "response_status": "accepted"}],
        "html_link": created["htmlLink"],
    }
    assert datetime.fromisoformat(data["start"]) == datetime.fromisoformat("2027-01-05T09:00Z")


async def test_deleted_entry_is_not_found(
    ws: WorkspaceFixture, connected: int, google: httpx.AsyncClient, user_token: dict[str, str]
) -> None:
    created = await seed(google, user_token, start={"dateTime": soon(1)}, end={"dateTime": soon(2)})
    await google.delete(
        f"/calendar/v3/calendars/primary/events/{created['id']}", headers=user_token
    )

    problem(await api(ws, "GET", f"/api/{connected}/calendar/{created['id']}"), 404, "not_found")


# --- create -----------------------------------------------------------------------------------


async def test_create_returns_201_with_the_detail_body(
    ws: WorkspaceFixture, connected: int, emulator: GoogleEmulator
) -> None:
    response = await api(ws, "POST", f"/api/{connected}/calendar", token="write",
                         json=entry(description="Team", location="Cafe"))  # fmt: skip

    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["title"] == "Lunch"
    assert (data["description"], data["location"], data["attendees"]) == ("Team", "Cafe", [])
    assert datetime.fromisoformat(data["start"]) == datetime.fromisoformat("2027-04-11T10:00Z")
    assert data["html_link"]
    assert [e["id"] for e in emulator.events()] == [data["id"]]


async def test_create_accepts_local_time_with_a_time_zone(
    ws: WorkspaceFixture, connected: int
) -> None:
    body = entry(
        start={"dateTime": "2027-04-11T12:00:00", "timeZone": "Europe/Amsterdam"},
        end={"dateTime": "2027-04-11T13:00:00", "timeZone": "Europe/Amsterdam"},
    )

    response = await api(ws, "POST", f"/api/{connected}/calendar", json=body)

    assert response.status_code == 201, response.text
    start = datetime.fromisoformat(response.json()["data"]["start"])
    assert start == datetime.fromisoformat("2027-04-11T10:00:00Z")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in entry().items() if k != "summary"}, "summary"),
        (entry(summary=""), "summary"),
        (entry(summary="   "), "summary"),
        (entry(summary=12), "summary"),
        ({k: v for k, v in entry().items() if k != "start"}, "start"),
        ({k: v for k, v in entry().items() if k != "end"}, "end"),
        (entry(start={"timeZone": "UTC"}), "start.dateTime"),
        (entry(start={"dateTime": "tomorrow", "timeZone": "UTC"}), "start.dateTime"),
        (entry(start={"dateTime": "2027-04-11", "timeZone": "UTC"}), "start.dateTime"),
        (entry(end={"dateTime": "2027-02-30T10:00:00Z"}), "end.dateTime"),
        (
            entry(start={"dateTime": "2027-04-11T12:00:00Z", "timeZone": "Mars/Base"}),
            "start.timeZone",
        ),
        (entry(start={"dateTime": "2027-04-11T12:00:00"}), "start"),
        (entry(end={"dateTime": "2027-04-11T09:00:00+02:00"}), "end"),
        (entry(end={"dateTime": "2027-04-11T12:00:00+02:00"}), "end"),
        (entry(description="x" * 8193), "description"),
        (entry(location=["a"]), "location"),
        (entry(color="red"), "color"),
        (entry(start={"dateTime": "2027-04-11T12:00:00Z", "extra": 1}), "start.extra"),
    ],
)
async def test_create_validation_errors_name_the_field(
    ws: WorkspaceFixture, connected: int, emulator: GoogleEmulator, body: Any, field: str
) -> None:
    response = await api(ws, "POST", f"/api/{connected}/calendar", json=body)

    problem_body = problem(response, 422)
    assert field in [error["field"] for error in problem_body["errors"]]
    assert emulator.events() == []


async def test_create_refuses_a_local_time_inside_a_dst_gap(
    ws: WorkspaceFixture, connected: int
) -> None:
    body = entry(
        start={"dateTime": "2027-03-28T02:30:00", "timeZone": "Europe/Amsterdam"},
        end={"dateTime": "2027-03-28T04:00:00", "timeZone": "Europe/Amsterdam"},
    )

    problem(await api(ws, "POST", f"/api/{connected}/calendar", json=body), 422,
            "nonexistent_local_time")  # fmt: skip


@pytest.mark.parametrize("raw", [b"[1, 2]", b""])
async def test_create_refuses_a_body_that_is_not_an_object(
    ws: WorkspaceFixture, connected: int, raw: bytes
) -> None:
    headers = {**ws.headers(), "Content-Type": "application/json"}
    response = await ws.client.post(f"/api/{connected}/calendar", content=raw, headers=headers)

    problem(response, 422)


@pytest.mark.parametrize("raw", [b"not json", b'{"summary": "x",\n "start": }', b"\xff{"])
async def test_create_answers_a_body_that_is_not_json_with_400(
    ws: WorkspaceFixture, connected: int, emulator: GoogleEmulator, raw: bytes
) -> None:
    """CONTRACT §1.1: 400 malformed_json, as on every route (with the position)."""
    headers = {**ws.headers(), "Content-Type": "application/json"}
    response = await ws.client.post(f"/api/{connected}/calendar", content=raw, headers=headers)

    body = problem(response, 400, "malformed_json")
    if raw.startswith(b"{"):
        assert "line 2, column 11" in body["detail"]
    assert emulator.events() == []


# --- Google unavailable -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["backend_error_500", "unavailable_503", "rate_limit_429",
                                  "rate_limit_403", "drop_response"])  # fmt: skip
async def test_google_failing_beyond_the_retries_is_503(
    ws: WorkspaceFixture, connected: int, emulator: GoogleEmulator, kind: str
) -> None:
    emulator.add_fault(kind, count=3, path_prefix="/calendar/v3/")

    problem(await api(ws, "GET", f"/api/{connected}/calendar"), 503, "google_unavailable")
    assert emulator.faults.faults == []  # three attempts were made


async def test_google_failing_within_the_retries_still_answers(
    ws: WorkspaceFixture, connected: int, emulator: GoogleEmulator
) -> None:
    emulator.add_fault("rate_limit_429", count=1, path_prefix="/calendar/v3/")
    emulator.add_fault("backend_error_500", count=1, path_prefix="/calendar/v3/")

    response = await api(ws, "POST", f"/api/{connected}/calendar", json=entry())

    assert response.status_code == 201, response.text
    assert len(emulator.events()) == 1


async def test_google_too_slow_is_503(
    app: FastAPI, ws: WorkspaceFixture, connected: int, emulator: GoogleEmulator
) -> None:
    gateway = app.state.services.google
    gateway.settings = gateway.settings.model_copy(update={"google_timeout_seconds": 0.05})
    emulator.add_fault("latency", count=3, seconds=2.0, path_prefix="/calendar/v3/")

    problem(await api(ws, "GET", f"/api/{connected}/calendar"), 503, "google_unavailable")
