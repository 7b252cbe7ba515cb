"""Members over HTTP (CONTRACT §3.2): list, create, get, patch, delete, and their conflicts."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from calbridge.workspace.models import Member
from tests.support.api import WorkspaceFixture
from tests.support.problems import assert_problem

if TYPE_CHECKING:  # a runtime import would make pytest try to collect it as a test class
    from tests.support.databases import TestDatabase


async def member_count(test_db: TestDatabase) -> int:
    async with test_db.database.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(Member)) or 0


async def test_create_get_and_list(ws: WorkspaceFixture, other_ws: WorkspaceFixture) -> None:
    response = await ws.post(
        "/members", token="admin", json={"name": "Alice", "email": "alice@example.com"}
    )
    assert response.status_code == 201, response.text
    alice = response.json()
    assert response.headers["location"] == ws.url(f"/members/{alice['id']}")
    assert alice["name"] == "Alice"
    assert alice["email"] == "alice@example.com"
    await other_ws.member("Mallory")
    others = [await ws.member(f"M{n}") for n in range(2)]

    fetched = await ws.get(f"/members/{alice['id']}", token="read")
    assert fetched.status_code == 200
    assert fetched.json() == alice

    page = (await ws.get("/members?pageSize=2&page=2", token="read")).json()
    assert page["total"] == 3
    assert page["pages"] == 2
    assert page["page"] == 2
    assert page["pageSize"] == 2
    assert [item["id"] for item in page["items"]] == [others[1]["id"]]
    everything = (await ws.get("/members", token="read")).json()
    assert [item["id"] for item in everything["items"]] == [alice["id"]] + [m["id"] for m in others]


async def test_same_email_is_409_member_exists(
    ws: WorkspaceFixture, other_ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    await ws.member("Alice", "alice@example.com")
    response = await ws.post("/members", json={"name": "A2", "email": "alice@example.com"})
    assert_problem(response, 409, "member_exists")
    # Emails are compared without regard to case.
    response = await ws.post("/members", json={"name": "A3", "email": "ALICE@example.com"})
    assert_problem(response, 409, "member_exists")
    assert await member_count(test_db) == 1
    # Unique per workspace, not across workspaces.
    await other_ws.member("Alice", "alice@example.com")


async def test_invalid_member_bodies_are_422(ws: WorkspaceFixture, test_db: TestDatabase) -> None:
    for body, field in [
        ({"name": "", "email": "a@example.com"}, "name"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"email": "a@example.com"}, "name"),
        ({"name": "A"}, "email"),
    ]:
        problem = assert_problem(await ws.post("/members", json=body), 422, "validation_error")
        assert [error["field"] for error in problem["errors"]] == [field]
    assert await member_count(test_db) == 0


async def test_patch_changes_given_fields_and_keeps_email_unique(ws: WorkspaceFixture) -> None:
    alice = await ws.member("Alice")
    bob = await ws.member("Bob")
    response = await ws.patch(f"/members/{alice['id']}", token="admin", json={"name": "Alicia"})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Alicia"
    assert response.json()["email"] == alice["email"]

    response = await ws.patch(f"/members/{alice['id']}", json={"email": bob["email"]})
    assert_problem(response, 409, "member_exists")
    # Keeping one's own email is not a conflict.
    response = await ws.patch(f"/members/{alice['id']}", json={"email": alice["email"]})
    assert response.status_code == 200
    assert (await ws.get(f"/members/{alice['id']}")).json()["email"] == alice["email"]
    assert_problem(await ws.patch("/members/999999", json={"name": "X"}), 404, "not_found")


async def test_delete_then_404(ws: WorkspaceFixture, test_db: TestDatabase) -> None:
    alice = await ws.member("Alice")
    await ws.delete_for_good(f"/members/{alice['id']}", alice["id"])
    assert await member_count(test_db) == 0


async def test_deleting_an_attendee_is_409_member_in_use(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    calendar = await ws.calendar()
    alice = await ws.member("Alice")
    event = await ws.event(calendar["id"], attendeeIds=[alice["id"]])
    assert_problem(await ws.delete(f"/members/{alice['id']}"), 409, "member_in_use")
    assert await member_count(test_db) == 1

    response = await ws.put(f"/calendar-events/{event['id']}", json={"attendeeIds": []})
    assert response.status_code == 200, response.text
    assert (await ws.delete(f"/members/{alice['id']}")).status_code == 200


async def test_simultaneous_creates_with_one_email_give_one_member(
    ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    await ws.get("/members", token="admin")  # the token's last use is recorded before the race
    responses = await asyncio.gather(
        *[
            ws.post("/members", token="admin", json={"name": f"A{n}", "email": "same@example.com"})
            for n in range(6)
        ]
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 5, [response.text for response in responses]
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "member_exists")
    assert await member_count(test_db) == 1


async def test_null_for_a_member_field_is_422(ws: WorkspaceFixture) -> None:
    alice = await ws.member("Alice")
    for field in ("name", "email"):
        response = await ws.patch(f"/members/{alice['id']}", json={field: None})
        problem = assert_problem(response, 422, "validation_error")
        assert [error["field"] for error in problem["errors"]] == [field]
    assert (await ws.get(f"/members/{alice['id']}")).json() == alice


async def test_deleting_a_member_while_they_are_booked_never_fails_with_500(
    ws: WorkspaceFixture,
) -> None:
    calendar = await ws.calendar(allowOverlap=True)
    await ws.get("/members")  # the token's last use is recorded before the race
    for attempt in range(4):
        member = await ws.member(f"Racer{attempt}")
        body = {
            "calendarId": calendar["id"],
            "title": "Race",
            "startTime": "2026-04-13T09:00:00",
            "endTime": "2026-04-13T09:30:00",
            "attendeeIds": [member["id"]],
        }
        deleted, booked = await asyncio.gather(
            ws.delete(f"/members/{member['id']}"), ws.post("/calendar-events", json=body)
        )
        if deleted.status_code == 200:
            assert_problem(booked, 422, "member_not_found")
        else:
            assert booked.status_code == 201, booked.text
            assert_problem(deleted, 409, "member_in_use")
