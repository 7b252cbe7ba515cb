from tests.support.api import WorkspaceFixture


async def test_book_and_read_back(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar()
    alice = await ws.member("Alice")
    created = await ws.event(calendar["id"], attendeeIds=[alice["id"]])
    assert created["startTime"] == "2026-04-13T09:00:00+02:00"
    assert created["attendees"][0]["name"] == "Alice"
    response = await ws.get(f"/calendar-events/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    listed = await ws.get("/calendar-events")
    assert listed.json()["total"] == 1
