"""Email templates are users' code: they render within limits on time, loop iterations and
output size, and a template that exceeds one fails its rule run visibly, storing nothing big."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from calbridge.outbox.worker import Worker
from calbridge.rules import templates
from tests.rules.conftest import make_rule, runs
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase

NESTED_LOOPS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
HUGE_OUTPUT = "{{ 'x' * 20000000 }}"
DOUBLING = "{% macro f(s, n) %}{{ f(s ~ s, n - 1) if n else s }}{% endmacro %}{{ f('x', 60) }}"


@pytest.mark.parametrize(
    ("source", "limit"),
    [
        (NESTED_LOOPS, "steps"),
        ("{% for i in range(100000) %}{{ range(100000)|sum }}{% endfor %}", "longer than"),
        ("{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}", "output"),
        (HUGE_OUTPUT, "characters"),
        ("{{ 'x'|center(10000000000) }}", "number above"),
        ("{{ 'x'.ljust(10000000000) }}", "number above"),
        ("{{ '%10000000000s' % 'x' }}", "format width"),
        ("{{ '{:>10000000000}'.format(1) }}", "format width"),
        (DOUBLING, "grew"),
        ("{{ 9 ** 999999999 }}", "exponent"),
    ],
)
def test_a_template_past_a_limit_stops(source: str, limit: str) -> None:
    with pytest.raises(templates.TemplateLimitExceeded, match=limit):
        templates.render(source, {})


def test_other_failures_while_rendering_are_template_errors() -> None:
    with pytest.raises(templates.TemplateRenderFailed, match="ZeroDivisionError"):
        templates.render("{{ 1 / 0 }}", {})
    with pytest.raises(templates.TemplateRenderFailed, match="RecursionError"):
        templates.render("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", {})


def test_ordinary_templates_still_render() -> None:
    source = (
        "{{ event.title }}: {{ '%s-%s' % (1, 2) }} {{ '{} {}'.format('a', 'b') }} "
        "{% for a in event.attendees %}{{ a ~ '!' }}{% endfor %} {{ 'ab' * 2 }} "
        "{{ 'Order 1234567' }}"
    )
    context = {"event": {"title": "Intro", "attendees": ["Ann", "Bob"]}}
    assert templates.render(source, context) == "Intro: 1-2 a b Ann!Bob! abab Order 1234567"


async def _stored_bytes(test_db: TestDatabase) -> int:
    """What the runs and jobs hold, as JSON text."""
    async with test_db.database.session(write=False) as session:
        requests = (await session.execute(text("SELECT request FROM rule_run_actions"))).all()
        payloads = (await session.execute(text("SELECT payload FROM outbox_jobs"))).all()
    return sum(len(json.dumps(row[0])) for row in [*requests, *payloads])


@pytest.mark.parametrize(("body", "reason"), [(NESTED_LOOPS, "steps"), (HUGE_OUTPUT, "characters")])
async def test_a_heavy_template_fails_its_run_visibly(
    ws: WorkspaceFixture, worker: Worker, test_db: TestDatabase, body: str, reason: str
) -> None:
    calendar = await ws.calendar()
    action = {"type": "email", "to": ["desk@example.com"], "subject": "Booked", "body": body}
    rule = await make_rule(ws, actions=[action])
    for _ in range(5):
        start = await ws.event(calendar["id"])
        await ws.post(f"/calendar-events/{start['id']}/cancel", json={})
    await worker.drain()
    found = await runs(ws, rule["id"])
    assert len(found) == 5
    for run in found:
        [outcome] = run["actions"]
        assert outcome["status"] == "failed"
        assert outcome["error"].startswith("template error:")
        assert reason in outcome["error"]
    assert await _stored_bytes(test_db) < 200_000  # was 20 MB per booking


async def test_the_rule_test_endpoint_answers_a_heavy_template_with_its_error(
    ws: WorkspaceFixture,
) -> None:
    calendar = await ws.calendar()
    event = await ws.event(calendar["id"])
    action: dict[str, Any] = {
        "type": "email",
        "to": ["desk@example.com"],
        "subject": "s",
        "body": NESTED_LOOPS,
    }
    rule = await make_rule(ws, actions=[action])
    response = await ws.post(
        f"/event-rules/{rule['id']}/test",
        json={"eventId": event["id"], "trigger": "event.created"},
        token="admin",
    )
    assert response.status_code == 200, response.text
    [outcome] = response.json()["actions"]
    assert outcome["status"] == "failed"
    assert "steps" in outcome["error"]
