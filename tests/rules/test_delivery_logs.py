"""A webhook the receiver refuses is logged (once per attempt, without the URL's path or query,
which may hold a secret), not only stored."""

from __future__ import annotations

from calbridge.outbox.worker import Worker
from tests.rules.conftest import Receiver, make_rule
from tests.support.api import WorkspaceFixture
from tests.support.logs import capture_logs


async def test_a_refused_webhook_attempt_is_logged(
    ws: WorkspaceFixture, receiver: Receiver, worker: Worker
) -> None:
    receiver.default = 500
    calendar = await ws.calendar()
    url = receiver.url + "?key=hook-secret-in-the-url"
    await make_rule(ws, actions=[{"type": "webhook", "url": url}])
    await ws.event(calendar["id"])
    with capture_logs() as logs:
        await worker.drain()
    (line,) = logs.matching("webhook delivery")
    assert " WARNING calbridge.rules.actions.delivery " in line
    assert f"attempt 1 to http://127.0.0.1:{receiver.port} failed: " in line
    assert "500" in line
    assert "next attempt at " in line
    assert "hook-secret-in-the-url" not in "\n".join(logs.lines)
