"""The rule builder over HTTP: a rule built from rows is the rule the API creates from the same
JSON, every condition and action shape survives the edit form unchanged, a bad value is shown
on its row, and rows are added and removed without JavaScript."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from typing import Any

from tests.admin.conftest import Panel
from tests.support.api import WorkspaceFixture

HOOK = "https://hooks.example.com/calbridge"
KEPT = ("name", "enabled", "triggers", "calendarIds", "conditions", "actions")


class FormFields(HTMLParser):
    """What a browser would post for the page's form with the given id (text, hidden, checked
    boxes, selected options, textareas; not <template> contents)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.template = form_id, False, 0
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        self.template += tag == "template"
        if not self.inside or self.template or ("name" not in a and tag != "option"):
            return
        if tag == "input" and a.get("type") not in ("checkbox", "radio"):
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "input" and "checked" in a:
            self.fields.append((a["name"], a.get("value", "on")))
        elif tag == "select":
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.fields[-1] = (self._textarea, self.fields[-1][1] + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self.template -= 1
        elif tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected] or [
                self._options[0][0]
            ]
            self.fields.append((self._select, chosen[0]))
            self._select = None


def posted(page: str) -> dict[str, Any]:
    parser = FormFields("rule-form")
    parser.feed(page)
    fields: dict[str, Any] = {}
    for name, value in parser.fields:
        if name in fields:
            fields[name] = [*([fields[name]] if isinstance(fields[name], str) else fields[name])]
            fields[name].append(value)
        else:
            fields[name] = value
    return {name: value for name, value in fields.items() if name != "csrf_token"}


def tag(page: str, name: str) -> str:
    match = re.search(rf'<(?:input|select|textarea) name="{name}"[^>]*>', page)
    assert match, f"no field {name}"
    return match.group(0)


def kept(rule: dict[str, Any]) -> dict[str, Any]:
    return {key: rule[key] for key in KEPT}


async def test_a_rule_built_with_the_form_is_the_rule_the_api_creates(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar()
    body = {
        "name": "Interviews",
        "triggers": ["event.created", "event.updated"],
        "calendarIds": [calendar["id"]],
        "conditions": [{"field": "title", "op": "contains", "value": "Interview"}],
        "actions": [{"type": "webhook", "url": HOOK}],
    }
    by_api = await ws.post("/event-rules", json=body)
    assert by_api.status_code == 201, by_api.text

    by_form = await panel.add(
        ws.uuid,
        "rules",
        {
            "name": "Interviews",
            "enabled": "on",
            "triggers": ["event.created", "event.updated"],
            "calendar_ids": [str(calendar["id"])],
            "condition-0-field": "title",
            "condition-0-op": "contains",
            "condition-0-value": "Interview",
            "action-0-type": "webhook",
            "action-0-url": HOOK,
        },
    )
    assert by_form.status_code == 303, by_form.text
    rules = (await ws.get("/event-rules", token="read")).json()["items"]
    assert len(rules) == 2
    assert kept(rules[1]) == kept(rules[0]) == kept(by_api.json())


async def test_every_condition_and_action_survives_the_edit_form(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    alice = await ws.member()
    conditions = [
        {"field": "title", "op": "equals", "value": "Intro", "caseSensitive": True},
        {"field": "status", "op": "equals", "value": "tentative"},
        {"field": "durationMinutes", "op": "lte", "value": 90},
        {"field": "attendeeCount", "op": "gte", "value": 2},
        {"field": "startTime", "op": "withinHours", "value": 1.5},
        {"field": "weekday", "op": "in", "value": ["monday", "friday"]},
        {"field": "localTime", "op": "between", "value": {"start": "09:00", "end": "24:00"}},
        {"field": "metadata", "key": "source", "op": "equals", "value": "web"},
        {"field": "metadata", "key": "tier", "op": "equals", "value": 3},
        {"field": "metadata", "key": "vip", "op": "equals", "value": False},
        {"field": "metadata", "key": "ref", "op": "equals", "value": None},
    ]
    actions = [
        {"type": "webhook", "url": HOOK},
        {
            "type": "email",
            "toAttendees": True,
            "to": ["ops@example.com", "desk@example.com"],
            "subject": "Booked: {{ event.title }}",
            "body": "At {{ event.startTime }}\nSee you.",
        },
        {"type": "set_status", "status": "tentative"},
        {"type": "add_attendee", "memberId": alice["id"]},
        {"type": "cancel_event", "reason": "Out of hours"},
    ]
    created = await ws.post(
        "/event-rules",
        json={
            "name": "All",
            "triggers": ["event.created"],
            "conditions": conditions,
            "actions": actions,
        },
    )
    assert created.status_code == 201, created.text
    before = kept(created.json())
    rule_id = created.json()["id"]

    edit = f"/admin/w/{ws.uuid}/rules/{rule_id}/edit"
    page = (await panel.get(edit)).text
    match = re.search(r'<pre id="rule-json"[^>]*>([^<]*)</pre>', page)
    assert match and json.loads(html.unescape(match.group(1))) == before  # the advanced view
    saved = await panel.post(edit, posted(page))
    assert saved.status_code == 303, saved.text
    assert kept((await ws.get(f"/event-rules/{rule_id}", token="read")).json()) == before


async def test_a_bad_value_is_shown_on_its_row(panel: Panel, ws: WorkspaceFixture) -> None:
    refused = await panel.add(
        ws.uuid,
        "rules",
        {
            "name": "Mixed",
            "triggers": "event.created",
            "condition-0-field": "title",
            "condition-0-op": "contains",
            "condition-0-value": "ok",
            "condition-3-field": "localTime",
            "condition-3-op": "between",
            "condition-3-start": "9am",
            "condition-3-end": "12:00",
            "action-0-type": "webhook",
            "action-0-url": HOOK,
            "action-1-type": "email",
            "action-1-subject": "Hi",
            "action-1-body": "{{ event.nope }",
        },
    )
    assert refused.status_code == 422
    page = html.unescape(refused.text)
    assert 'id="condition-0-error"' not in page
    assert re.search(
        r'id="condition-1-error"[^>]*>From must be a time of day written HH:MM\.<', page
    )
    start, end = tag(page, "condition-1-start"), tag(page, "condition-1-end")
    assert 'value="9am"' in start and 'aria-describedby="condition-1-error"' in start
    assert 'value="12:00"' in end and "aria-invalid" not in end
    assert re.search(r'id="action-1-error"[^>]*>Body template error', page)
    assert (await ws.get("/event-rules", token="read")).json()["items"] == []


async def test_rows_are_added_and_removed_without_javascript(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    url = f"/admin/w/{ws.uuid}/rules"
    await panel.get(f"{url}/new")
    form = {"name": "Draft", "triggers": "event.created", "action-0-type": "webhook"}
    added = await panel.post(url, {**form, "edit": "add-condition", "new-condition": "weekday"})
    assert added.status_code == 200
    assert 'name="condition-0-field" value="weekday"' in added.text
    assert 'value="Draft"' in added.text  # what was typed stays

    action = await panel.post(url, {**form, "edit": "add-action", "new-action": "set_status"})
    assert 'name="action-1-type" value="set_status"' in action.text

    removed = await panel.post(url, {**form, "edit": "remove-action:0"})
    assert 'name="action-0-type"' not in removed.text
    assert (await ws.get("/event-rules", token="read")).json()["items"] == []
