"""A small client for the Workspace API in tests: a workspace with one token per scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from calbridge.auth.scopes import ALL_SCOPES
from calbridge.auth.service import create_token
from calbridge.db import Database
from calbridge.workspace.models import Workspace
from calbridge.workspace.service import create_workspace
from tests.support.problems import assert_problem

if TYPE_CHECKING:  # a runtime import would make pytest try to collect it as a test class
    from tests.support.databases import TestDatabase


@dataclass
class WorkspaceFixture:
    workspace: Workspace
    tokens: dict[str, str]  # "read" | "write" | "admin" | "all" → bearer secret
    client: httpx.AsyncClient
    default_token: str = "all"
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def uuid(self) -> str:
        return self.workspace.uuid

    def url(self, path: str) -> str:
        return f"/api/v2/w/{self.workspace.uuid}{path}"

    def headers(self, token: str | None = None) -> dict[str, str]:
        name = token or self.default_token
        return {"Authorization": f"Bearer {self.tokens[name]}", "Accept": "application/json"}

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        return await self.client.request(
            method, self.url(path), headers={**self.headers(token), **(headers or {})}, **kwargs
        )

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)

    async def delete_for_good(self, path: str, resource_id: int) -> None:
        """DELETE ``path`` as an admin: 200 with ``{"id", "deleted": true}``, and then 404
        ``not_found`` to a GET and to a second DELETE."""
        response = await self.delete(path, token="admin")
        assert response.status_code == 200, response.text
        assert response.json() == {"id": resource_id, "deleted": True}
        assert_problem(await self.get(path), 404, "not_found")
        assert_problem(await self.delete(path), 404, "not_found")

    async def calendar(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "Room A", "timezone": "Europe/Amsterdam", **fields}
        response = await self.post("/calendars", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def member(self, name: str = "Alice", email: str | None = None) -> dict[str, Any]:
        body = {"name": name, "email": email or f"{name.lower()}@example.com"}
        response = await self.post("/members", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def event(self, calendar_id: int, **fields: Any) -> dict[str, Any]:
        body = {
            "calendarId": calendar_id,
            "title": "Intro call",
            "startTime": "2026-04-13T09:00:00",
            "endTime": "2026-04-13T09:30:00",
            **fields,
        }
        response = await self.post("/calendar-events", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


async def make_workspace(
    database: Database,
    client: httpx.AsyncClient,
    *,
    name: str = "Acme",
    timezone: str = "Europe/Amsterdam",
) -> WorkspaceFixture:
    async with database.transaction() as session:
        workspace = await create_workspace(session, name=name, timezone=timezone)
        tokens = {
            "read": (await create_token(session, workspace, scopes=["calendars:read"])).secret,
            "write": (await create_token(session, workspace, scopes=["calendars:write"])).secret,
            "admin": (await create_token(session, workspace, scopes=["calendars:admin"])).secret,
            "all": (await create_token(session, workspace, scopes=list(ALL_SCOPES))).secret,
        }
    return WorkspaceFixture(workspace=workspace, tokens=tokens, client=client)


async def add_booking_token(ws: WorkspaceFixture, test_db: TestDatabase) -> str:
    """Adds ``rw`` to ``ws.tokens``: read and write without admin, what a booking client holds
    (admins may book inside notice, advance and cancellation windows)."""
    async with test_db.database.transaction() as session:
        token = await create_token(
            session, ws.workspace, scopes=["calendars:read", "calendars:write"]
        )
    ws.tokens["rw"] = token.secret
    return token.secret
