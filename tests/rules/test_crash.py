"""A worker SIGKILLed in the middle of a delivery: the delivery is made again, by another
worker once the lease has run out, with the same webhook-id."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from standardwebhooks import Webhook

from calbridge.outbox.worker import Worker
from tests.rules.conftest import Receiver, make_rule, runs
from tests.support.api import WorkspaceFixture
from tests.support.clock import Clock
from tests.support.databases import TestDatabase as Db

ROOT = Path(__file__).resolve().parents[2]


async def test_sigkill_mid_delivery_delivers_again_with_the_same_id(
    ws: WorkspaceFixture, receiver: Receiver, worker: Worker, clock: Clock, test_db: Db
) -> None:
    calendar = await ws.calendar()
    rule = await make_rule(ws, actions=[{"type": "webhook", "url": receiver.url}])
    receiver.answers = [(200, 300.0)]  # the first delivery hangs until the worker is killed
    await ws.event(calendar["id"])

    arguments = [test_db.url] + ([test_db.schema] if test_db.schema else [])
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.rules.worker_process", *arguments, cwd=ROOT
    )
    try:
        async with asyncio.timeout(60):
            await receiver.arrived.wait()
    finally:
        process.kill()  # SIGKILL: no cleanup, the job stays claimed
        await process.wait()

    clock.advance(seconds=31)  # past the dead worker's lease
    await worker.drain()
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    Webhook(rule["secret"]).verify(second.body, second.headers)
    assert first.body == second.body
    [run] = await runs(ws, rule["id"])
    action = run["actions"][0]
    assert action["status"] == "succeeded"
    log = action["attemptLog"]
    assert [a["responseStatus"] for a in log] == [None, 200]
    assert log[0]["error"].startswith("no outcome")
