"""If-Match compares strongly (RFC 9110): the weak form of the current ETag does not match."""

from __future__ import annotations

from tests.support.api import WorkspaceFixture


async def test_a_weak_etag_never_satisfies_if_match(ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar(allowOverlap=True)
    event = await ws.event(calendar["id"])
    etag = (await ws.get(f"/calendar-events/{event['id']}")).headers["etag"]

    weak = await ws.put(
        f"/calendar-events/{event['id']}", json={"title": "Weak"}, headers={"If-Match": f"W/{etag}"}
    )
    assert weak.status_code == 412
    strong = await ws.put(
        f"/calendar-events/{event['id']}", json={"title": "Strong"}, headers={"If-Match": etag}
    )
    assert strong.status_code == 200
