"""Rule templates are checked when saved: a name the template is never given is a 422 that
names the field and the unknown name (before: accepted, then empty text at run time)."""

from __future__ import annotations

import pytest

from tests.support.api import WorkspaceFixture
from tests.support.problems import assert_problem, fields_of


def _rule(subject: str, body: str) -> dict[str, object]:
    return {
        "name": "Mail",
        "triggers": ["event.created"],
        "actions": [{"type": "email", "to": ["ops@example.com"], "subject": subject, "body": body}],
    }


@pytest.mark.parametrize(
    ("subject", "body", "field", "named"),
    [
        ("{{ evnt.title }}", "ok", "actions.0.email.subject", "evnt"),
        ("Booked", "{{ event.titel }} at {{ event.startTime }}", "actions.0.email.body", "titel"),
        ("Booked", "{{ customer }}", "actions.0.email.body", "customer"),
    ],
)
async def test_a_template_naming_what_it_never_gets_is_refused_at_save(
    ws: WorkspaceFixture, subject: str, body: str, field: str, named: str
) -> None:
    problem = assert_problem(
        await ws.post("/event-rules", json=_rule(subject, body)), 422, "validation_error"
    )
    assert fields_of(problem) == [field]
    assert named in problem["errors"][0]["message"]
    assert (await ws.get("/event-rules")).json()["total"] == 0


async def test_templates_over_what_they_are_given_are_saved(ws: WorkspaceFixture) -> None:
    body = (
        "{% for a in event.attendees %}{{ a.name }} {% endfor %}{{ change }} {{ rule }}"
        "{% set n = 1 %}{{ n }}{{ before.title if before }}"
    )
    response = await ws.post("/event-rules", json=_rule("{{ event.title }}", body))
    assert response.status_code == 201, response.text
