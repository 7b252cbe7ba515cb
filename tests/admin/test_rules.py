"""The event rule pages over HTTP: refused forms say what is wrong next to the field and store
nothing; the signing secret is shown once (and on rotate); edits and on/off reach the API."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from calbridge.crypto import TokenCipher
from calbridge.rules.models import EventRule
from calbridge.settings import Settings
from tests.admin.conftest import Panel
from tests.support import databases
from tests.support.api import WorkspaceFixture

HOOK = "https://hooks.example.com/calbridge"
SECRET = re.compile(r'id="rule-secret"[^>]*value="(whsec_[^"]+)"')


def rule_form(**fields: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "Notify",
        "enabled": "on",
        "triggers": ["event.created"],
        "action-0-type": "webhook",
        "action-0-url": HOOK,
    }
    form.update(fields)
    return form


def field_error(page: str, name: str) -> str:
    """The error shown next to a field (``name``) or on a row (``condition-0``, ``action-1``)."""
    match = re.search(rf'(?:data-field="{name}"|id="{name}-error")[^>]*>([^<]*)<', page)
    assert match, f"no error shown next to {name}"
    return html.unescape(match.group(1))


async def rule_count(test_db: databases.TestDatabase) -> int:
    async with test_db.database.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(EventRule)) or 0


async def create(panel: Panel, ws: WorkspaceFixture, **fields: object) -> tuple[int, str]:
    """Create a rule through the form: (its id, the secret the page shows)."""
    response = await panel.add(ws.uuid, "rules", rule_form(**fields))
    assert response.status_code == 303, response.text  # POST-redirect-GET
    shown = await panel.get(response.headers["location"])
    secret = SECRET.search(shown.text)
    assert secret, "the secret is shown"
    rule = await ws.get("/event-rules", token="read")
    return rule.json()["items"][-1]["id"], secret.group(1)


async def test_a_refused_rule_form_shows_what_is_wrong_and_stores_nothing(
    test_db: databases.TestDatabase,
    panel: Panel,
    ws: WorkspaceFixture,
    other_ws: WorkspaceFixture,
) -> None:
    foreign = await other_ws.calendar()
    url = f"/admin/w/{ws.uuid}/rules"
    await panel.get(f"{url}/new")

    duration = {"condition-0-field": "durationMinutes", "condition-0-op": "gte"}
    not_a_number = await panel.post(url, rule_form(**duration, **{"condition-0-value": "soon"}))
    no_trigger = await panel.post(url, rule_form(triggers=[]))
    bad_url = await panel.post(url, rule_form(**{"action-0-url": "ftp://x"}))
    title = {"condition-0-field": "title", "condition-0-value": "x"}
    bad_op = await panel.post(url, rule_form(**title, **{"condition-0-op": "like"}))
    other_calendar = await panel.post(url, rule_form(calendar_ids=[str(foreign["id"])]))

    refusals = (not_a_number, no_trigger, bad_url, bad_op, other_calendar)
    assert [r.status_code for r in refusals] == [422] * 5
    assert field_error(not_a_number.text, "condition-0") == (
        "Value must be a whole number, written in digits."
    )
    assert field_error(no_trigger.text, "triggers")
    assert field_error(bad_url.text, "action-0") == "URL must be an http or https URL."
    assert 'aria-invalid="true" aria-describedby="action-0-error"' in bad_url.text
    assert field_error(bad_op.text, "condition-0") == (
        "Operator must be one of 'contains' or 'equals'."
    )
    assert f"Unknown calendar {foreign['id']}." in field_error(other_calendar.text, "calendar_ids")
    # What was typed comes back in the form.
    assert "ftp://x" in bad_url.text
    assert await rule_count(test_db) == 0


async def test_the_secret_is_shown_once_and_rotating_shows_the_new_one(
    test_db: databases.TestDatabase, panel: Panel, ws: WorkspaceFixture, settings: Settings
) -> None:
    rule_id, first = await create(panel, ws)
    page = await panel.get(f"/admin/w/{ws.uuid}/rules/{rule_id}")
    assert page.status_code == 200
    assert first not in page.text and 'id="rule-secret"' not in page.text

    rotate = await panel.post(f"/admin/w/{ws.uuid}/rules/{rule_id}/rotate-secret")
    assert rotate.status_code == 303
    rotated = await panel.get(rotate.headers["location"])
    assert rotated.headers["cache-control"] == "no-store"
    match = SECRET.search(rotated.text)
    assert match and match.group(1) != first
    async with test_db.database.session(write=False) as session:
        rule = await session.get_one(EventRule, rule_id)
    assert TokenCipher.from_settings(settings).decrypt(rule.secret_encrypted) == match.group(1)
    reloaded = await panel.get(rotate.headers["location"])  # shown once: a reload shows nothing
    assert 'id="rule-secret"' not in reloaded.text and match.group(1) not in reloaded.text


async def test_edit_and_turn_off_reach_the_api(panel: Panel, ws: WorkspaceFixture) -> None:
    calendar = await ws.calendar()
    rule_id, _ = await create(panel, ws, calendar_ids=[str(calendar["id"])])
    edit = f"/admin/w/{ws.uuid}/rules/{rule_id}/edit"
    form = await panel.get(edit)
    assert HOOK in form.text and 'value="event.created" checked' in form.text

    condition = {"field": "durationMinutes", "op": "gte", "value": 30}
    saved = await panel.post(
        edit,
        rule_form(
            name="Long meetings",
            triggers=["event.created", "event.cancelled"],
            **{"condition-0-field": "durationMinutes", "condition-0-op": "gte"},
            **{"condition-0-value": "30"},
        ),
    )
    assert saved.status_code == 303
    rule = (await ws.get(f"/event-rules/{rule_id}", token="read")).json()
    assert rule["name"] == "Long meetings"
    assert rule["triggers"] == ["event.created", "event.cancelled"]
    assert rule["conditions"] == [condition]
    assert rule["calendarIds"] is None  # no calendar ticked: every calendar

    await panel.get(f"/admin/w/{ws.uuid}/rules")
    turned = await panel.post(f"/admin/w/{ws.uuid}/rules/{rule_id}/enabled", {})
    assert turned.status_code == 303
    assert (await ws.get(f"/event-rules/{rule_id}", token="read")).json()["enabled"] is False
    listed = await panel.get(f"/admin/w/{ws.uuid}/rules")
    assert "disabled" in listed.text and "Long meetings" in listed.text

    refused = await panel.post(edit, rule_form(name=""))
    assert refused.status_code == 422
    assert (await ws.get(f"/event-rules/{rule_id}", token="read")).json()["name"] == (
        "Long meetings"
    )


async def test_rules_of_another_workspace_are_not_found(
    panel: Panel, ws: WorkspaceFixture, other_ws: WorkspaceFixture
) -> None:
    rule_id, _ = await create(panel, ws)
    for path in ("", "/edit"):
        response = await panel.get(f"/admin/w/{other_ws.uuid}/rules/{rule_id}{path}")
        assert response.status_code == 404
    deleted = await panel.post(f"/admin/w/{other_ws.uuid}/rules/{rule_id}/delete")
    assert deleted.status_code == 404
    retried = await panel.post(f"/admin/w/{ws.uuid}/rules/{rule_id}/runs/999/retry")
    assert retried.status_code == 404
    assert (await ws.get(f"/event-rules/{rule_id}", token="read")).status_code == 200

    gone = await panel.post(f"/admin/w/{ws.uuid}/rules/{rule_id}/delete")
    assert gone.status_code == 303
    assert (await ws.get(f"/event-rules/{rule_id}", token="read")).status_code == 404


async def test_html_in_a_rule_is_shown_escaped(panel: Panel, ws: WorkspaceFixture) -> None:
    rule_id, _ = await create(panel, ws, name="<script>alert(1)</script>")
    for path in ("", f"/{rule_id}", f"/{rule_id}/edit"):
        page = await panel.get(f"/admin/w/{ws.uuid}/rules{path}")
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_a_private_webhook_target_is_refused_on_the_form_as_by_the_api(
    test_db: databases.TestDatabase, panel: Panel, ws: WorkspaceFixture
) -> None:
    private = {"action-0-url": "http://10.0.0.1/hook"}
    url = f"/admin/w/{ws.uuid}/rules"
    await panel.get(f"{url}/new")

    refused = await panel.post(url, rule_form(**private))

    assert refused.status_code == 422
    assert "CALBRIDGE_WEBHOOK_ALLOWED_PRIVATE_HOSTS" in field_error(refused.text, "action-0")
    assert 'value="Notify"' in refused.text or ">Notify<" in refused.text  # the form is kept
    assert await rule_count(test_db) == 0

    rule_id, _ = await create(panel, ws)
    await panel.get(f"{url}/{rule_id}/edit")
    edited = await panel.post(f"{url}/{rule_id}/edit", rule_form(**private))

    assert edited.status_code == 422
    assert "CALBRIDGE_WEBHOOK_ALLOWED_PRIVATE_HOSTS" in field_error(edited.text, "action-0")
    rule = await ws.get(f"/event-rules/{rule_id}", token="read")
    assert rule.json()["actions"][0]["url"] == HOOK
