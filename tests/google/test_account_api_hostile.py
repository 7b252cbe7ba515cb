"""Hostile input on the account calendar API: deep JSON, and event ids that would walk the
Google URL path (``..``) — refused as client errors, never a 500 or another Google resource."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import WorkspaceFixture

from .test_account_api import api, problem


@pytest.mark.parametrize("depth", [1_000, 100_000])
async def test_deep_json_is_a_client_error(
    ws: WorkspaceFixture, connected: int, depth: int
) -> None:
    headers = {**ws.headers("write"), "Content-Type": "application/json"}
    for raw in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
        response = await ws.client.post(f"/api/{connected}/calendar", content=raw, headers=headers)
        assert response.status_code in (400, 422), response.text[:300]
        assert response.headers["content-type"].startswith("application/problem+json")
    # The server is still there for the next request.
    assert (await api(ws, "GET", f"/api/{connected}/calendar")).status_code == 200


@pytest.mark.parametrize("event_id", ["%2e%2e", "..", "%2E", "a%2Fb", "a%2F..%2F..", "x%3Fy"])
async def test_event_ids_that_are_not_google_ids_are_refused(
    ws: WorkspaceFixture, connected: int, google: httpx.AsyncClient, event_id: str
) -> None:
    response = await api(ws, "GET", f"/api/{connected}/calendar/{event_id}")
    assert response.status_code in (404, 422), response.text
    body = problem(response, response.status_code)
    assert "data" not in body
