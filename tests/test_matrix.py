"""Every route of the Workspace API v2 against CONTRACT §1-2: authentication, scopes, workspace
isolation and unknown fields.

The routes come from ``app.routes``, so a new route under /api/v2/w/ fails here until it is given
its scope (and, if it takes a body, a valid body) in the tables below.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from calbridge.auth.scopes import ALL_SCOPES
from calbridge.auth.service import create_token, revoke_token
from calbridge.db import utcnow
from tests.support.api import WorkspaceFixture
from tests.support.problems import PROBLEM_JSON

if TYPE_CHECKING:  # a runtime import would make pytest try to collect it as a test class
    from tests.support.databases import TestDatabase

PREFIX = "/api/v2/w/{workspace_uuid}"
MISSING_ID = 999_999

# CONTRACT §2: read for every GET; write to create/update/cancel events and RSVP; admin to delete
# events and to create/update/delete calendars and members.
SCOPE = {
    ("GET", "/calendars"): "read",
    ("POST", "/calendars"): "admin",
    ("GET", "/calendars/{calendar_id}"): "read",
    ("PATCH", "/calendars/{calendar_id}"): "admin",
    ("DELETE", "/calendars/{calendar_id}"): "admin",
    ("GET", "/calendars/{calendar_id}/slots"): "read",
    ("POST", "/free-busy"): "read",
    ("GET", "/members"): "read",
    ("POST", "/members"): "admin",
    ("GET", "/members/{member_id}"): "read",
    ("PATCH", "/members/{member_id}"): "admin",
    ("DELETE", "/members/{member_id}"): "admin",
    ("GET", "/calendar-events"): "read",
    ("POST", "/calendar-events"): "write",
    ("GET", "/calendar-events/{event_id}"): "read",
    ("PUT", "/calendar-events/{event_id}"): "write",
    ("PATCH", "/calendar-events/{event_id}"): "write",
    ("DELETE", "/calendar-events/{event_id}"): "admin",
    ("POST", "/calendar-events/{event_id}/cancel"): "write",
    ("GET", "/calendar-events/{event_id}/attendees"): "read",
    ("GET", "/calendar-events/{event_id}/history"): "read",
    ("PUT", "/calendar-events/{event_id}/attendees/{member_id}"): "write",
    ("GET", "/event-rules"): "read",
    ("POST", "/event-rules"): "admin",
    ("GET", "/event-rules/{rule_id}"): "read",
    ("PATCH", "/event-rules/{rule_id}"): "admin",
    ("DELETE", "/event-rules/{rule_id}"): "admin",
    ("POST", "/event-rules/{rule_id}/rotate-secret"): "admin",
    ("GET", "/event-rules/{rule_id}/runs"): "read",
    ("POST", "/event-rules/{rule_id}/runs/{run_id}/retry"): "admin",
    ("POST", "/event-rules/{rule_id}/test"): "admin",
}
RULE = {
    "name": "Matrix",
    "triggers": ["event.created"],
    "actions": [{"type": "set_status", "status": "tentative"}],
}
_emails = itertools.count()
DAY = {"start": "2026-04-13T00:00:00", "end": "2026-04-14T00:00:00"}
# Query strings the routes need to answer 2xx.
QUERY = {
    ("GET", "/calendars/{calendar_id}/slots"): "?" + "&".join(f"{k}={v}" for k, v in DAY.items())
}


def valid_body(key: tuple[str, str], world: World) -> dict[str, Any]:
    """A body the route accepts (for routes that take one)."""
    method, path = key
    if key == ("POST", "/calendars"):
        return {"name": "Matrix", "timezone": "UTC"}
    if key == ("POST", "/members"):
        return {"name": "Matrix", "email": f"matrix{next(_emails)}@example.com"}
    if key == ("POST", "/calendar-events"):
        return {
            "calendarId": world.shared_calendar,
            "title": "Matrix",
            "startTime": "2026-04-13T09:00:00",
            "endTime": "2026-04-13T09:30:00",
        }
    if key == ("POST", "/event-rules"):
        return RULE
    if key == ("POST", "/free-busy"):
        return {"calendarIds": [world.ours.calendar_id], **DAY}
    if path.endswith("/test"):
        return {"eventId": world.ours.event_id}
    if path.endswith("/cancel"):
        return {"reason": "Matrix"}
    if path.endswith("/attendees/{member_id}"):
        return {"responseStatus": "accepted"}
    if method in {"PUT", "PATCH"}:
        return {"title": "Renamed"} if path.startswith("/calendar-events") else {"name": "Renamed"}
    raise AssertionError(f"{method} {path} takes a body: give it a valid one in valid_body()")


@dataclass
class Route:
    method: str
    path: str  # below the workspace prefix
    takes_body: bool

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def workspace_routes(app: FastAPI) -> list[Route]:
    """Every route under the workspace prefix, however deeply its router was included."""
    routes = []
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        if isinstance(context.original_route, APIRoute) and path.startswith(PREFIX + "/"):
            takes_body = context.original_route.body_field is not None
            for method in sorted(context.methods or ()):
                routes.append(Route(method, path.removeprefix(PREFIX), takes_body))
    return routes


@dataclass
class Objects:
    """Ids of one workspace's objects, for filling in paths."""

    calendar_id: int  # a calendar without events (so it can be deleted)
    member_id: int  # a member who attends nothing (so they can be deleted)
    event_id: int
    attendee_id: int  # attends event_id
    rule_id: int
    # Runs exist only once the worker ran a rule, which these tests do not start: every run id
    # is unknown, so the retry route is checked for its auth and scope, and its 404.
    run_id: int = MISSING_ID

    @classmethod
    async def make(cls, ws: WorkspaceFixture, calendar_id: int) -> Objects:
        empty = await ws.calendar(name="Empty")
        attendee = await ws.member(f"Attendee{next(_emails)}")
        loner = await ws.member(f"Loner{next(_emails)}")
        event = await ws.event(calendar_id, attendeeIds=[attendee["id"]])
        rule = await ws.post("/event-rules", json=RULE)
        assert rule.status_code == 201, rule.text
        return cls(empty["id"], loner["id"], event["id"], attendee["id"], rule.json()["id"])

    def value(self, route: Route, param: str) -> int:
        if param == "member_id" and "/attendees/" in route.path:
            return self.attendee_id
        value: int = getattr(self, param)
        return value


@dataclass
class World:
    ws: WorkspaceFixture
    other: WorkspaceFixture
    shared_calendar: int  # allows overlap, so any number of bookings fit
    ours: Objects
    theirs: Objects

    @classmethod
    async def make(cls, ws: WorkspaceFixture, other: WorkspaceFixture) -> World:
        shared = (await ws.calendar(name="Shared", allowOverlap=True))["id"]
        theirs_calendar = (await other.calendar(name="Theirs", allowOverlap=True))["id"]
        return cls(
            ws,
            other,
            shared,
            await Objects.make(ws, shared),
            await Objects.make(other, theirs_calendar),
        )

    def path(self, route: Route, objects: Objects | None = None, **override: int | str) -> str:
        values: dict[str, int | str] = {
            param: (objects or self.ours).value(route, param) for param in route.params
        }
        values.update(override)
        uuid = values.pop("workspace_uuid", self.ws.uuid)
        return f"/api/v2/w/{uuid}" + route.path.format(**values) + QUERY.get(route.key, "")

    async def send(
        self,
        route: Route,
        headers: dict[str, str],
        path: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> httpx.Response:
        if body is None and route.takes_body:
            body = valid_body(route.key, self)
        return await self.ws.client.request(
            route.method, path or self.path(route), headers=headers, json=body
        )


class Failures(list[str]):
    def expect(self, route: Route, what: str, response: httpx.Response, status: int) -> bool:
        ok = response.status_code == status and (
            status < 400 or response.headers.get("content-type", "").startswith(PROBLEM_JSON)
        )
        if ok and status >= 400:
            ok = response.json().get("status") == status
        if not ok:
            self.append(
                f"{route} {what}: wanted {status}, got {response.status_code} {response.text[:200]}"
            )
        return ok


async def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    routes = workspace_routes(app)
    assert {route.key for route in routes} == set(SCOPE), "give new routes their scope in SCOPE"
    assert len(routes) == len(SCOPE)


async def test_missing_bad_revoked_and_expired_tokens_are_401(
    app: FastAPI, ws: WorkspaceFixture, other_ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    world = await World.make(ws, other_ws)
    async with test_db.database.transaction() as session:
        revoked = await create_token(session, ws.workspace, scopes=list(ALL_SCOPES))
        await revoke_token(session, revoked.token)
        expired = await create_token(
            session,
            ws.workspace,
            scopes=list(ALL_SCOPES),
            expires_at=utcnow() - timedelta(seconds=1),
        )
    secret = ws.tokens["all"]
    cases = {
        "no Authorization": {},
        "revoked": {"Authorization": f"Bearer {revoked.secret}"},
        "expired": {"Authorization": f"Bearer {expired.secret}"},
        "unknown": {"Authorization": "Bearer cbk_00000000_unknown"},
        "Basic scheme": {"Authorization": f"Basic {secret}"},
        "no scheme": {"Authorization": secret},
        "empty Bearer": {"Authorization": "Bearer "},
        "token with a suffix": {"Authorization": f"Bearer {secret}x"},
    }
    before = await test_db.row_counts()
    failures = Failures()
    routes = workspace_routes(app)
    # No token on every route; the other bad tokens on one route of each method (they all go
    # through the same authentication).
    one_per_method = {route.method: route for route in routes}.values()
    checks = [(route, "no Authorization", {}) for route in routes] + [
        (route, what, headers) for route in one_per_method for what, headers in cases.items()
    ]
    for route, what, headers in checks:
        response = await world.send(route, {"Accept": "application/json", **headers})
        if failures.expect(route, what, response, 401):
            if not response.headers.get("www-authenticate", "").startswith("Bearer"):
                failures.append(f"{route} {what}: no WWW-Authenticate: Bearer")
            if response.json()["code"] != "unauthenticated":
                failures.append(f"{route} {what}: code {response.json()['code']}")
    assert failures == []
    assert await test_db.row_counts() == before


async def test_scopes_are_enforced_per_route(
    app: FastAPI, ws: WorkspaceFixture, other_ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    world = await World.make(ws, other_ws)
    failures = Failures()
    routes = workspace_routes(app)
    before = await test_db.row_counts()
    for route in routes:
        needed = SCOPE[route.key]
        for token in ("read", "write", "admin"):
            if token == needed:
                continue
            response = await world.send(route, ws.headers(token))
            if (
                failures.expect(route, f"with only {token}", response, 403)
                and response.json()["code"] != "insufficient_scope"
            ):
                failures.append(f"{route}: code {response.json()['code']}")
    assert failures == []
    assert await test_db.row_counts() == before

    # The needed scope alone is enough (admin does not need read or write, and so on). Routes
    # that cancel or delete go last, so the others still find their objects.
    for route in sorted(routes, key=lambda r: (r.method == "DELETE", r.path.endswith("/cancel"))):
        response = await world.send(route, ws.headers(SCOPE[route.key]))
        expected_404 = "run_id" in route.params and response.status_code == 404
        if not (response.is_success or expected_404):
            failures.append(
                f"{route} with {SCOPE[route.key]}: {response.status_code} {response.text}"
            )
    assert failures == []


async def test_other_workspaces_objects_are_404_like_missing_ones(
    app: FastAPI, ws: WorkspaceFixture, other_ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    world = await World.make(ws, other_ws)
    failures = Failures()
    before = await test_db.row_counts()
    for route in workspace_routes(app):
        for param in route.params:
            theirs = world.theirs.value(route, param)
            foreign = await world.send(
                route, ws.headers("all"), world.path(route, **{param: theirs})
            )
            missing = await world.send(
                route, ws.headers("all"), world.path(route, **{param: MISSING_ID})
            )
            if failures.expect(route, f"their {param}", foreign, 404):
                failures.expect(route, f"missing {param}", missing, 404)
                if foreign.json() != missing.json():
                    failures.append(f"{route} {param}: {foreign.json()} != {missing.json()}")

        # The other workspace's uuid (with its own object ids) under our all-scopes token, and
        # a workspace that does not exist.
        response = await world.send(
            route, ws.headers("all"), world.path(route, world.theirs, workspace_uuid=other_ws.uuid)
        )
        failures.expect(route, "their workspace uuid", response, 404)
        unknown = await world.send(
            route,
            ws.headers("all"),
            world.path(route, workspace_uuid="00000000-0000-0000-0000-000000000000"),
        )
        found = failures.expect(route, "unknown workspace", unknown, 404)
        if found and response.status_code == 404 and unknown.json() != response.json():
            failures.append(f"{route}: {unknown.json()} != {response.json()}")
    assert failures == []
    assert await test_db.row_counts() == before


async def test_unknown_body_fields_are_422_on_every_route_with_a_body(
    app: FastAPI, ws: WorkspaceFixture, other_ws: WorkspaceFixture, test_db: TestDatabase
) -> None:
    world = await World.make(ws, other_ws)
    failures = Failures()
    before = await test_db.row_counts()
    body_routes = [route for route in workspace_routes(app) if route.takes_body]
    assert len(body_routes) >= 8
    for route in body_routes:
        for extra in ({"unexpectedField": 1}, {"workspaceId": other_ws.workspace.id}, {"id": 1}):
            body = {**valid_body(route.key, world), **extra}
            response = await world.send(route, ws.headers("all"), body=body)
            if failures.expect(route, f"with {extra}", response, 422):
                fields = [error["field"] for error in response.json()["errors"]]
                if fields != list(extra):
                    failures.append(f"{route} {extra}: fields {fields}")
    assert failures == []
    assert await test_db.row_counts() == before
