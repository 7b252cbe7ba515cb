"""The outbox page pages: newest first, numbered pages of the chosen size, the failed filter
kept in every link."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from fastapi import FastAPI

from calbridge.jobs import registry
from calbridge.outbox.models import OutboxJob
from calbridge.outbox.worker import Worker
from calbridge.settings import Settings
from tests.admin.conftest import Panel
from tests.rules.conftest import Receiver, make_rule, runs
from tests.support import databases
from tests.support.api import WorkspaceFixture
from tests.support.cli import json_lines, run_cli
from tests.support.clock import Clock

ROW = re.compile(r'<tr id="job-(\d+)">')


async def test_the_outbox_page_pages_and_keeps_its_filter(
    test_db: databases.TestDatabase, panel: Panel
) -> None:
    async with test_db.database.transaction() as session:
        jobs = [
            OutboxJob(kind="demo", payload={"n": n}, status="failed", last_error=f"boom {n}")
            for n in range(60)
        ]
        session.add_all(jobs)
        await session.flush()
        ids = sorted((job.id for job in jobs), reverse=True)
        session.add(OutboxJob(kind="demo", payload={}, status="done"))

    first = await panel.get("/admin/jobs?failed=1&size=50")
    shown = [int(i) for i in ROW.findall(first.text)]
    assert shown == ids[:50]
    assert 'href="/admin/jobs?failed=1&amp;size=50&amp;page=2"' in first.text
    assert "60 in all" in first.text

    second = await panel.get("/admin/jobs?failed=1&size=50&page=2")
    assert [int(i) for i in ROW.findall(second.text)] == ids[50:]
    assert 'href="/admin/jobs?failed=1&amp;size=50" aria-label="Page 1"' in second.text
    assert "page=3" not in second.text

    beyond = await panel.get("/admin/jobs?page=9")
    assert beyond.status_code == 200
    assert ROW.findall(beyond.text) == []


async def test_a_failing_webhook_job_shows_its_real_attempts_and_error(
    test_db: databases.TestDatabase,
    app: FastAPI,
    panel: Panel,
    ws: WorkspaceFixture,
    settings: Settings,
) -> None:
    receiver = Receiver(default=500)  # every delivery fails
    await receiver.start()
    clock = Clock()
    rules_settings = settings.model_copy(update={"webhook_allowed_private_hosts": ["127.0.0.1"]})
    # The API that saves the rule and the worker that delivers share one context (one clock).
    services = replace(app.state.services, settings=rules_settings, clock=clock)
    app.state.services = services
    worker = Worker(services, registry())
    try:
        calendar = await ws.calendar()
        rule = await make_rule(ws, actions=[{"type": "webhook", "url": receiver.url}])
        event = await ws.event(calendar["id"])
        await worker.drain()
        clock.advance(seconds=6)  # the first retry comes after about 5 s
        await worker.drain()
    finally:
        await receiver.stop()
    [run] = await runs(ws, rule["id"])
    assert run["actions"][0]["attempts"] == 2  # what the rule run says

    # The job of the third attempt waits: it has not run, but the delivery has failed twice.
    [listed] = json_lines(await run_cli(test_db, "jobs", "list"))
    assert listed["kind"] == "rules.action"
    assert listed["status"] == "pending"
    assert (listed["attempts"], listed["maxAttempts"]) == (2, 7)
    assert "500" in listed["lastError"]
    assert listed["lastError"] == run["actions"][0]["attemptLog"][-1]["error"]
    assert (listed["workspace"], listed["ruleId"], listed["eventId"]) == (
        ws.uuid,
        rule["id"],
        event["id"],
    )

    page = await panel.get("/admin/jobs")
    row = page.text.split(f'<tr id="job-{listed["id"]}">', 1)[1].split("</tr>", 1)[0]
    assert 'class="attempts">2 / 7</td>' in row
    assert html.escape(listed["lastError"]) in row
    assert f'href="/admin/w/{ws.uuid}/rules/{rule["id"]}"' in row
    assert f'href="/admin/w/{ws.uuid}/events/{event["id"]}"' in row
    assert f'href="/admin/w/{ws.uuid}"' in row
