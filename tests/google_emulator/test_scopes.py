"""The emulator's OAuth scope rules are Google's: for every Calendar method the emulator
serves, each scope the discovery document lists for it is accepted, and every other Calendar
scope (and a token with no Calendar scope) is refused with 403 `insufficientPermissions`.
Each accepted answer is also checked against the document's response schema."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from calbridge_google_emulator import GoogleEmulator
from calbridge_google_emulator.discovery import ApiRoute

from .flows import (
    EVENTS,
    discovery_document,
    discovery_method,
    discovery_methods,
    response_errors,
    timed_event,
)
from .receiver import WATCH, watch_body

EVENT = timed_event("2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z")
WINDOW = {
    "timeMin": "2026-04-11T00:00:00Z",
    "timeMax": "2026-04-12T00:00:00Z",
    "items": [{"id": "primary"}],
}
FULL = "https://www.googleapis.com/auth/calendar"

# A request for one method: path parameters and JSON body, made fresh for every attempt
# (a delete needs its own event, a stop its own channel).
Prepare = Callable[[httpx.AsyncClient, dict[str, str]], Awaitable[tuple[dict[str, str], Any]]]


async def _nothing(client: httpx.AsyncClient, owner: dict[str, str]) -> tuple[dict[str, str], Any]:
    return {"calendarId": "primary"}, None


def _body(body: Any) -> Prepare:
    async def prepare(
        client: httpx.AsyncClient, owner: dict[str, str]
    ) -> tuple[dict[str, str], Any]:
        return {"calendarId": "primary"}, body

    return prepare


async def _fresh_watch(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> tuple[dict[str, str], Any]:
    return {"calendarId": "primary"}, watch_body(f"chan-{secrets.token_hex(8)}")


def _on_event(body: Any) -> Prepare:
    async def prepare(
        client: httpx.AsyncClient, owner: dict[str, str]
    ) -> tuple[dict[str, str], Any]:
        created = await client.post(EVENTS, json=EVENT, headers=owner)
        assert created.status_code == 200, created.text
        return {"calendarId": "primary", "eventId": created.json()["id"]}, body

    return prepare


async def _channel(client: httpx.AsyncClient, owner: dict[str, str]) -> tuple[dict[str, str], Any]:
    channel_id = f"chan-{secrets.token_hex(8)}"
    watched = await client.post(WATCH, json=watch_body(channel_id), headers=owner)
    assert watched.status_code == 200, watched.text
    return {}, {"id": channel_id, "resourceId": watched.json()["resourceId"]}


REQUESTS: dict[str, Prepare] = {
    "calendar.calendarList.list": _nothing,
    "calendar.calendarList.get": _nothing,
    "calendar.calendars.get": _nothing,
    "calendar.events.list": _nothing,
    "calendar.events.get": _on_event(None),
    "calendar.events.insert": _body(EVENT),
    "calendar.events.update": _on_event(EVENT | {"summary": "Moved"}),
    "calendar.events.patch": _on_event({"summary": "Renamed"}),
    "calendar.events.delete": _on_event(None),
    "calendar.freebusy.query": _body(WINDOW),
    "calendar.events.watch": _fresh_watch,
    "calendar.channels.stop": _channel,
}


def served_methods(emulator: GoogleEmulator) -> set[str]:
    return {route.method_id for route in emulator.app.routes if isinstance(route, ApiRoute)}


async def call(
    emulator: GoogleEmulator, client: httpx.AsyncClient, method_id: str, scope: str
) -> httpx.Response:
    method = discovery_method(method_id)
    owner = {"Authorization": "Bearer " + emulator.issue_access_token(scopes=(FULL,))}
    params, body = await REQUESTS[method_id](client, owner)
    path = "/calendar/v3/" + method["path"].format(**params)
    token = emulator.issue_access_token(scopes=(scope,))
    return await client.request(
        method["httpMethod"], path, json=body, headers={"Authorization": f"Bearer {token}"}
    )


def assert_conforms(method_id: str, response: httpx.Response) -> None:
    """The answer has the discovery document's response schema, or no body if it has none."""
    if "response" in discovery_method(method_id):
        assert response_errors(method_id, response.json()) == []
    else:
        assert (response.status_code, response.content) == (204, b"")


def test_every_served_method_is_in_the_document_and_has_a_request_here(
    emulator: GoogleEmulator,
) -> None:
    served = served_methods(emulator)
    assert served <= set(discovery_methods())
    assert served == set(REQUESTS)


@pytest.mark.parametrize("method_id", sorted(REQUESTS))
async def test_each_listed_scope_is_accepted_and_every_other_is_refused(
    emulator: GoogleEmulator, client: httpx.AsyncClient, method_id: str
) -> None:
    listed = set(discovery_method(method_id)["scopes"])
    all_calendar_scopes = set(discovery_document()["auth"]["oauth2"]["scopes"])
    for scope in sorted(listed):
        response = await call(emulator, client, method_id, scope)
        assert response.is_success, (scope, response.status_code, response.text)
        assert_conforms(method_id, response)
    for scope in [*sorted(all_calendar_scopes - listed), "openid", "email"]:
        response = await call(emulator, client, method_id, scope)
        assert response.status_code == 403, (scope, response.status_code, response.text)
        error = response.json()["error"]
        assert error["code"] == 403
        assert error["errors"][0]["reason"] == "insufficientPermissions", scope
        assert error["errors"][0]["domain"] == "global"


async def test_freebusy_refuses_the_events_scopes_as_google_does(
    emulator: GoogleEmulator, client: httpx.AsyncClient
) -> None:
    for scope in ("calendar.events", "calendar.events.readonly"):
        token = emulator.issue_access_token(scopes=("https://www.googleapis.com/auth/" + scope,))
        response = await client.post(
            "/calendar/v3/freeBusy", json=WINDOW, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 403, scope


async def test_calendar_list_takes_the_calendarlist_scopes_and_events_take_owned(
    emulator: GoogleEmulator, client: httpx.AsyncClient
) -> None:
    auth = "https://www.googleapis.com/auth/"
    for scope in ("calendar.calendarlist", "calendar.calendarlist.readonly"):
        token = emulator.issue_access_token(scopes=(auth + scope,))
        listed = await client.get(
            "/calendar/v3/users/me/calendarList", headers={"Authorization": f"Bearer {token}"}
        )
        assert listed.status_code == 200, scope
    owned = emulator.issue_access_token(scopes=(auth + "calendar.events.owned",))
    created = await client.post(
        "/calendar/v3/calendars/primary/events",
        json=EVENT,
        headers={"Authorization": f"Bearer {owned}"},
    )
    assert created.status_code == 200
