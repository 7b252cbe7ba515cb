"""The event rules API: create (secret shown once), read, change, delete, validation, scopes."""

from __future__ import annotations

from typing import Any

from tests.rules.conftest import make_rule
from tests.support.api import WorkspaceFixture

WEBHOOK = {"type": "webhook", "url": "https://hooks.example.com/calbridge"}


async def test_create_shows_the_secret_once(ws: WorkspaceFixture) -> None:
    rule = await make_rule(ws, actions=[WEBHOOK])
    assert rule["secret"].startswith("whsec_")
    fetched = await ws.get(f"/event-rules/{rule['id']}", token="read")
    assert fetched.status_code == 200
    assert "secret" not in fetched.json()
    assert fetched.json()["actions"] == [WEBHOOK]
    listed = await ws.get("/event-rules", token="read")
    assert [item["id"] for item in listed.json()["items"]] == [rule["id"]]
    assert "secret" not in listed.json()["items"][0]


async def test_rotate_gives_a_new_secret(ws: WorkspaceFixture) -> None:
    rule = await make_rule(ws, actions=[WEBHOOK])
    rotated = await ws.post(f"/event-rules/{rule['id']}/rotate-secret", token="admin")
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != rule["secret"]


async def test_patch_and_delete(ws: WorkspaceFixture) -> None:
    rule = await make_rule(ws, actions=[WEBHOOK])
    patched = await ws.patch(
        f"/event-rules/{rule['id']}", json={"enabled": False, "name": "Quiet"}, token="admin"
    )
    assert patched.status_code == 200
    assert (patched.json()["enabled"], patched.json()["name"]) == (False, "Quiet")
    assert patched.json()["triggers"] == ["event.created"]
    await ws.delete_for_good(f"/event-rules/{rule['id']}", rule["id"])


async def test_scopes(ws: WorkspaceFixture) -> None:
    body = {"name": "x", "triggers": ["event.created"], "actions": [WEBHOOK]}
    assert (await ws.post("/event-rules", json=body, token="write")).status_code == 403
    assert (await ws.post("/event-rules", json=body, token="read")).status_code == 403
    rule = await make_rule(ws, actions=[WEBHOOK])
    patch = await ws.patch(f"/event-rules/{rule['id']}", json={"enabled": False}, token="write")
    assert patch.status_code == 403
    assert (await ws.get("/event-rules", token="read")).status_code == 200


async def test_another_workspace_sees_nothing(
    ws: WorkspaceFixture, other_ws: WorkspaceFixture
) -> None:
    rule = await make_rule(ws, actions=[WEBHOOK])
    assert (await other_ws.get(f"/event-rules/{rule['id']}")).status_code == 404
    assert (await other_ws.get(f"/event-rules/{rule['id']}/runs")).status_code == 404
    assert (await other_ws.delete(f"/event-rules/{rule['id']}")).status_code == 404


async def _invalid(ws: WorkspaceFixture, **fields: Any) -> list[str]:
    body = {"name": "x", "triggers": ["event.created"], "actions": [WEBHOOK], **fields}
    response = await ws.post("/event-rules", json=body, token="admin")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [error["field"] for error in response.json()["errors"]]


async def test_invalid_rules_name_the_field(ws: WorkspaceFixture) -> None:
    assert "colour" in await _invalid(ws, colour="red")
    assert any(f.startswith("triggers.0") for f in await _invalid(ws, triggers=["event.moved"]))
    fields = await _invalid(ws, conditions=[{"field": "title", "op": "startsWith", "value": "x"}])
    assert any(f.startswith("conditions.0") and f.endswith("op") for f in fields)
    fields = await _invalid(ws, conditions=[{"field": "colour", "op": "equals", "value": "x"}])
    assert any(f.startswith("conditions.0") for f in fields)
    for url in ("ftp://example.com/x", "not a url", "https://user:pw@example.com/", "http:///x"):
        fields = await _invalid(ws, actions=[{"type": "webhook", "url": url}])
        assert any(f.startswith("actions.0") for f in fields), url
    fields = await _invalid(ws, actions=[{"type": "launch_rocket"}])
    assert any(f.startswith("actions.0") for f in fields)
    email = {"type": "email", "to": ["not-an-address"], "subject": "s", "body": "b"}
    assert any(f.startswith("actions.0") for f in await _invalid(ws, actions=[email]))
    broken = {"type": "email", "to": ["a@example.com"], "subject": "{{ event.title", "body": "b"}
    assert any(f.startswith("actions.0") for f in await _invalid(ws, actions=[broken]))
    assert "actions.0.memberId" in await _invalid(
        ws, actions=[{"type": "add_attendee", "memberId": 999}]
    )
    assert "calendarIds.0" in await _invalid(ws, calendarIds=[424242])
    assert "actions" in await _invalid(ws, actions=[])
