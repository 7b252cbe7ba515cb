"""Webhooks end to end: a real receiver on 127.0.0.1 checks every delivery with the
standardwebhooks reference verification; retries, 410, timeouts and the runs API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from calbridge.outbox.worker import Worker
from calbridge.rules import webhooks
from calbridge.services import Services
from tests.rules.conftest import Receiver, due_now, make_rule, runs, worker_with
from tests.support.api import WorkspaceFixture
from tests.support.clock import Clock
from tests.support.databases import TestDatabase as Db


async def _setup(ws: WorkspaceFixture, receiver: Receiver, **fields: object) -> tuple[dict, dict]:
    calendar = await ws.calendar()
    rule = await make_rule(ws, actions=[{"type": "webhook", "url": receiver.url}], **fields)
    return calendar, rule


async def test_deliveries_verify_with_the_reference_library(
    ws: WorkspaceFixture, receiver: Receiver, worker: Worker
) -> None:
    calendar, rule = await _setup(ws, receiver, triggers=["event.created", "event.updated"])
    event = await ws.event(calendar["id"], title="Intro call")
    assert receiver.requests == []  # the request did not wait for the rule
    await worker.drain()
    moved = await ws.put(f"/calendar-events/{event['id']}", json={"title": "Renamed"})
    assert moved.status_code == 200
    await worker.drain()

    assert len(receiver.requests) == 2
    verifier = Webhook(rule["secret"])
    created, updated = (verifier.verify(r.body, r.headers) for r in receiver.requests)
    assert created["type"] == "event.created"
    assert created["data"]["ruleId"] == rule["id"]
    assert created["data"]["event"]["title"] == "Intro call"
    assert "before" not in created["data"]
    assert updated["data"]["change"] == "event.updated"
    assert updated["data"]["before"]["title"] == "Intro call"
    assert updated["data"]["event"]["title"] == "Renamed"
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(ids) == 2  # one id per (rule, change)


async def test_tampered_body_and_old_timestamp_fail_verification(
    ws: WorkspaceFixture, receiver: Receiver, worker: Worker
) -> None:
    calendar, rule = await _setup(ws, receiver)
    await ws.event(calendar["id"])
    await worker.drain()
    [request] = receiver.requests
    verifier = Webhook(rule["secret"])
    verifier.verify(request.body, request.headers)

    tampered = request.body.replace(b"Intro call", b"Intro cull")
    with pytest.raises(WebhookVerificationError):
        verifier.verify(tampered, request.headers)
    old = datetime.now(UTC) - timedelta(minutes=6)
    resigned = webhooks.sign(
        rule["secret"], request.headers["webhook-id"], old, request.body.decode()
    )
    with pytest.raises(WebhookVerificationError, match="too old"):
        verifier.verify(request.body, {**request.headers, **resigned})
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(request.body, request.headers)  # another secret


async def test_receiver_down_then_up_gets_exactly_one_delivery(
    ws: WorkspaceFixture,
    receiver: Receiver,
    worker: Worker,
    clock: Clock,
    test_db: Db,
) -> None:
    calendar, rule = await _setup(ws, receiver)
    await receiver.stop()  # down: connections are refused
    await ws.event(calendar["id"])
    await worker.drain()
    [run] = await runs(ws, rule["id"])
    assert run["status"] == "pending"
    assert run["actions"][0]["attempts"] == 1
    assert run["actions"][0]["attemptLog"][0]["responseStatus"] is None

    await receiver.start()  # up again on the same port, but failing once more
    receiver.answers = [503]
    clock.advance(seconds=6)  # the first retry comes after about 5 s
    await worker.drain()
    clock.advance(minutes=6)  # the second after about 5 min
    await worker.drain()
    clock.advance(hours=3)
    await due_now(test_db, clock)
    await worker.drain()  # nothing is left to do

    assert len(receiver.requests) == 2
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    [run] = await runs(ws, rule["id"])
    action = run["actions"][0]
    assert run["status"] == "succeeded"
    assert action["status"] == "succeeded"
    assert action["attempts"] == 3
    log = action["attemptLog"]
    assert [a["responseStatus"] for a in log] == [None, 503, 200]
    assert log[0]["error"]
    assert log[1]["responseBody"] == "answer 503"
    assert action["deliveryId"] == receiver.requests[0].headers["webhook-id"]


async def test_retries_run_out_then_a_manual_retry_delivers(
    ws: WorkspaceFixture, receiver: Receiver, worker: Worker, clock: Clock
) -> None:
    calendar, rule = await _setup(ws, receiver)
    receiver.answers = [500] * 7
    await ws.event(calendar["id"])
    await worker.drain()
    for delay in (5, 300, 1800, 7200, 18000, 36000):
        clock.advance(seconds=delay * 1.2)
        await worker.drain()
    [run] = await runs(ws, rule["id"])
    assert run["status"] == "failed"
    assert run["actions"][0]["attempts"] == 7
    assert len(receiver.requests) == 7

    retried = await ws.post(f"/event-rules/{rule['id']}/runs/{run['id']}/retry", token="admin")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "pending"
    await worker.drain()
    [run] = await runs(ws, rule["id"])
    assert run["status"] == "succeeded"
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    again = await ws.post(f"/event-rules/{rule['id']}/runs/{run['id']}/retry", token="admin")
    assert again.status_code == 409
    assert again.json()["code"] == "run_not_failed"


async def test_410_disables_the_webhook(
    ws: WorkspaceFixture, receiver: Receiver, worker: Worker
) -> None:
    calendar, rule = await _setup(ws, receiver)
    receiver.answers = [410]
    await ws.event(calendar["id"])
    await worker.drain()
    [run] = await runs(ws, rule["id"])
    assert run["actions"][0]["status"] == "failed"
    fetched = (await ws.get(f"/event-rules/{rule['id']}")).json()
    assert fetched["actions"][0]["disabledAt"] is not None

    await ws.event(calendar["id"], startTime="2026-04-13T11:00:00", endTime="2026-04-13T11:30:00")
    await worker.drain()
    assert len(receiver.requests) == 1


async def test_redirects_are_not_followed(
    ws: WorkspaceFixture, receiver: Receiver, worker: Worker
) -> None:
    calendar, rule = await _setup(ws, receiver)
    receiver.answers = [302]
    receiver.extra_headers = {"location": "http://10.0.0.1/internal"}
    await ws.event(calendar["id"])
    await worker.drain()
    [run] = await runs(ws, rule["id"])
    [attempt] = run["actions"][0]["attemptLog"]
    assert attempt["responseStatus"] == 302
    assert "not followed" in attempt["error"]
    assert run["status"] == "pending"  # a redirect counts as a failed attempt
    assert len(receiver.requests) == 1


async def test_a_hanging_receiver_is_cut_off_while_others_are_delivered(
    ws: WorkspaceFixture,
    receiver: Receiver,
    services: Services,
) -> None:
    worker = worker_with(services, webhook_timeout_seconds=0.5)
    other = Receiver()
    await other.start()
    try:
        calendar = await ws.calendar()
        slow = await make_rule(ws, actions=[{"type": "webhook", "url": receiver.url}])
        fast = await make_rule(ws, actions=[{"type": "webhook", "url": other.url}])
        receiver.answers = [(200, 60.0)]
        await ws.event(calendar["id"])
        await ws.event(
            calendar["id"], startTime="2026-04-13T11:00:00", endTime="2026-04-13T11:30:00"
        )
        await worker.drain()
    finally:
        await other.stop()
    [slow_first, slow_second] = await runs(ws, slow["id"])
    [fast_first, fast_second] = await runs(ws, fast["id"])
    assert len(other.requests) == 2
    assert fast_first["status"] == fast_second["status"] == "succeeded"
    timed_out = [
        run["actions"][0]["attemptLog"][0]
        for run in (slow_first, slow_second)
        if run["actions"][0]["attemptLog"][0]["error"]
    ]
    assert len(timed_out) == 1
    assert "timed out" in timed_out[0]["error"]
    payload = json.loads(other.requests[0].body)
    assert payload["data"]["ruleId"] == fast["id"]
