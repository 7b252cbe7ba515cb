"""The rule builder in a real Chromium: a rule built from a condition row and a webhook action
is the rule the API creates from the same JSON; a bad value is shown on its row; a rule with
every shape is saved back unchanged by the edit form."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.admin.browser import LiveServer, SeededApi, Visit

pytestmark = pytest.mark.browser
HOOK = "https://hooks.example.com/calbridge"
KEPT = ("name", "enabled", "triggers", "calendarIds", "conditions", "actions")


def kept(rule: dict[str, Any]) -> dict[str, Any]:
    return {key: rule[key] for key in KEPT}


def test_a_rule_built_in_the_browser_is_the_rule_the_api_creates(
    visit: Visit, live_server: LiveServer
) -> None:
    api = SeededApi(live_server, "Rules Co")
    uuid = api.uuid
    body = {
        "name": "Interviews",
        "triggers": ["event.created", "event.cancelled"],
        "conditions": [{"field": "title", "op": "equals", "value": "Interview"}],
        "actions": [{"type": "webhook", "url": HOOK}],
    }
    by_api = api.post("/event-rules", body)

    page = visit.page
    visit.go(f"/admin/w/{uuid}/rules/new")
    page.fill("#name", "Interviews")
    page.check("input[name=triggers][value='event.cancelled']")
    page.select_option("#new-condition", "title")
    page.click("text=Add condition")
    title = page.locator("#conditions fieldset").first
    title.locator("select").select_option("equals")
    title.locator("input[name$='-value']").fill("Interview")
    page.select_option("#new-condition", "durationMinutes")
    page.click("text=Add condition")
    length = page.locator("#conditions fieldset").nth(1)
    length.locator("input[name$='-value']").fill("an hour")
    page.fill("input[name=action-0-url]", HOOK)
    visit.shot("builder")
    page.click("text=Create rule")

    value = page.locator("input[name=condition-1-value]")
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#condition-1-error")).to_have_text(
        "Value must be a whole number, written in digits."
    )
    expect(page.locator("#condition-0-error")).to_have_count(0)
    expect(page.locator("input[name=condition-0-value]")).to_have_value("Interview")
    visit.shot("bad-value-on-its-row")
    page.set_viewport_size({"width": 390, "height": 844})
    visit.shot("bad-value-on-its-row-phone")
    page.set_viewport_size({"width": 1280, "height": 860})

    page.locator("#condition-1").get_by_role("button", name="Remove").click()
    expect(page.locator("#conditions fieldset")).to_have_count(1)
    page.click("text=Create rule")
    expect(page.locator("#rule-secret")).to_be_visible()
    visit.shot("created")

    rules = api.get("/event-rules")["items"]
    assert [kept(rule) for rule in rules] == [kept(by_api)] * 2


def test_the_edit_form_saves_every_shape_back_unchanged(
    visit: Visit, live_server: LiveServer
) -> None:
    uuid, secret = live_server.seed_workspace("Shapes Co")
    base = f"{live_server.url}/api/v2/w/{uuid}"
    headers = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}
    member = httpx.post(
        f"{base}/members", headers=headers, json={"name": "Ada", "email": "ada@example.com"}
    ).json()
    body = {
        "name": "Everything",
        "triggers": ["event.updated"],
        "conditions": [
            {"field": "weekday", "op": "in", "value": ["tuesday", "sunday"]},
            {"field": "localTime", "op": "between", "value": {"start": "08:30", "end": "12:00"}},
            {"field": "metadata", "key": "tier", "op": "equals", "value": 2.5},
            {"field": "startTime", "op": "withinHours", "value": 48},
        ],
        "actions": [
            {
                "type": "email",
                "to": ["ops@example.com"],
                "subject": "{{ event.title }}",
                "body": "Hi",
            },
            {"type": "add_attendee", "memberId": member["id"]},
            {"type": "cancel_event"},
        ],
    }
    created = httpx.post(f"{base}/event-rules", headers=headers, json=body)
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]

    page = visit.page
    visit.go(f"/admin/w/{uuid}/rules/{rule_id}/edit")
    expect(page.locator("input[name=condition-1-start]")).to_have_value("08:30")
    page.locator("details.advanced summary").click()
    expect(page.locator("#rule-json")).to_contain_text('"memberId": ' + str(member["id"]))
    visit.shot("edit-every-shape")
    page.click("text=Save rule")
    expect(page.locator(".flash.ok")).to_be_visible()

    after = httpx.get(f"{base}/event-rules/{rule_id}", headers=headers).json()
    assert kept(after) == kept(created.json())
