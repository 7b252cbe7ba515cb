"""Event rules' door into event history: a change an action makes is recorded with source
``rule`` and no actor, after the API's own change."""

from __future__ import annotations

from calbridge.outbox.worker import Worker
from tests.rules.conftest import make_rule
from tests.support.api import WorkspaceFixture


async def test_a_rule_action_is_recorded_as_the_rules(ws: WorkspaceFixture, worker: Worker) -> None:
    calendar = await ws.calendar()
    await make_rule(ws, actions=[{"type": "set_status", "status": "tentative"}])
    event = await ws.event(calendar["id"])
    await worker.drain()

    response = await ws.get(f"/calendar-events/{event['id']}/history")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(c["action"], c["source"], c["actor"]) for c in items] == [
        ("created", "api", "api"),
        ("updated", "rule", None),
    ]
    assert items[1]["changes"] == {"status": {"from": "confirmed", "to": "tentative"}}
