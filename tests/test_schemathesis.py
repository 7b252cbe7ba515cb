"""The API against its own OpenAPI document, with schemathesis (property-based, through ASGI).

Every operation is fed generated requests (valid and invalid) with an all-scopes token, for a
seeded workspace whose uuid fills ``workspace_uuid`` (so requests reach the handlers) and whose
calendars, members, events and account fill the other path parameters about half the time. Each
response must not be a 5xx and must match what the document promises for it: a documented status
code, a documented content type, and a body that fits the documented schema.

Hypothesis drives the requests from a worker thread; each request is sent through the test's
own ``httpx.AsyncClient`` on the test's event loop, where the database engine lives.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from calbridge.account.service import create_account
from calbridge.app import create_app
from calbridge.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from schemathesis.schemas import APIOperation

    from tests.support.api import WorkspaceFixture
    from tests.support.databases import TestDatabase

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
REQUEST_TIMEOUT = 120.0

# Collected once, from the app's own document; the tests fetch it again from the app they test.
_SPEC = create_app(
    Settings(environment="test", database_url="sqlite+aiosqlite:///:memory:")
).openapi()
OPERATIONS = [
    f"{method.upper()} {path}"
    for path, methods in _SPEC["paths"].items()
    for method in methods
    if method in {"get", "post", "put", "patch", "delete"}
]

# Failures whose cause lies outside this test's owner's files, by (database, operation). Each is
# xfail(strict=True): once fixed it passes, and the XPASS says to remove it here.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


async def _seed(ws: WorkspaceFixture, test_db: TestDatabase) -> dict[str, list[Any]]:
    """Existing things for path parameters: calendars, members, events, an account."""
    open_calendar = await ws.calendar(name="Open", maxAttendees=3)
    office = await ws.calendar(
        name="Office",
        allowOverlap=True,
        availability={
            "weekly": [{"day": "monday", "start": "09:00", "end": "17:00"}],
            "exceptions": [{"date": "2026-12-24", "windows": []}],
        },
    )
    alice = await ws.member("Alice")
    bob = await ws.member("Bob")
    carol = await ws.member("Carol")
    booked = await ws.event(open_calendar["id"], attendeeIds=[alice["id"], bob["id"]])
    later = await ws.event(
        office["id"], startTime="2026-04-13T10:00:00", endTime="2026-04-13T11:00:00"
    )
    cancelled = await ws.event(
        open_calendar["id"], startTime="2026-04-14T09:00:00", endTime="2026-04-14T10:00:00"
    )
    response = await ws.post(f"/calendar-events/{cancelled['id']}/cancel", json={"reason": "x"})
    assert response.status_code == 200, response.text
    async with test_db.database.transaction() as session:
        account = await create_account(session, ws.workspace, name="Sales")
        account_id = account.id
    return {
        "workspace_uuid": [ws.uuid],
        "calendar_id": [open_calendar["id"], office["id"]],
        "member_id": [alice["id"], bob["id"], carol["id"]],
        "event_id": [booked["id"], later["id"], cancelled["id"]],
        "account": [account_id],
    }


def _strategy(
    operation: APIOperation[Any, Any, Any, Any],
    seeded: dict[str, list[Any]],
    headers: dict[str, str],
) -> Any:
    names = re.findall(r"{(\w+)}", operation.path)
    fixed = {name: seeded[name][0] for name in names if name == "workspace_uuid"}
    choices = st.fixed_dictionaries(
        {name: st.sampled_from(seeded[name]) for name in names if name in seeded}
    )
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(
            operation.as_strategy(mode, path_parameters=fixed or None, headers=headers)
        )
        strategies.append(choices.flatmap(_with_path(operation, mode, headers)))
    return st.one_of(strategies)


def _with_path(
    operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode, headers: dict[str, str]
) -> Callable[[dict[str, Any]], Any]:
    def strategy(params: dict[str, Any]) -> Any:
        return operation.as_strategy(mode, path_parameters=params or None, headers=headers)

    return strategy


def _out_of_range_ids(
    operation: APIOperation[Any, Any, Any, Any],
    seeded: dict[str, list[Any]],
    headers: dict[str, str],
) -> list[Any]:
    """Valid requests whose integer path ids lie past what storage holds (PostgreSQL's 32-bit
    ``integer``, SQLite's 64-bit one): tried on every run, not left to chance."""
    names = [name for name in re.findall(r"{(\w+)}", operation.path) if name != "workspace_uuid"]
    if not names:
        return []
    fixed = (
        {"workspace_uuid": seeded["workspace_uuid"][0]}
        if "{workspace_uuid}" in operation.path
        else {}
    )
    return [
        operation.as_strategy(
            GenerationMode.POSITIVE,
            path_parameters={**fixed, **dict.fromkeys(names, value)},
            headers=headers,
        )
        for value in (2**31, 2**63)
    ]


def _httpx_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """schemathesis speaks ``requests``; httpx wants raw bodies as ``content`` and no
    per-request cookies (both only deprecated there, and warnings are errors here)."""
    kwargs.pop("cookies", None)
    data = kwargs.get("data")
    if isinstance(data, str | bytes):
        kwargs["content"] = kwargs.pop("data")
    return kwargs


def _fuzz(
    strategy: Any, send: Callable[[dict[str, Any]], httpx.Response], max_examples: int
) -> None:
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        # The same examples on every run, so a known bug marked xfail(strict=True) stays caught.
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        response = send(_httpx_kwargs(case.as_transport_kwargs(base_url="http://testserver")))
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.parametrize("label", OPERATIONS)
async def test_operation_conforms_to_the_schema(
    label: str,
    ws: WorkspaceFixture,
    test_db: TestDatabase,
    app: FastAPI,
    request: pytest.FixtureRequest,
) -> None:
    known_bug = KNOWN_BUGS.get((test_db.kind, label))
    if known_bug is not None:
        request.node.add_marker(pytest.mark.xfail(strict=True, reason=known_bug))
    seeded = await _seed(ws, test_db)
    spec = (await ws.client.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(spec)
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    headers = {"Authorization": f"Bearer {ws.tokens['all']}", "Accept": "application/json"}
    loop = asyncio.get_running_loop()
    # An unhandled exception becomes the 500 a real client would see, for the checks to judge.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

        def send(kwargs: dict[str, Any]) -> httpx.Response:
            future = asyncio.run_coroutine_threadsafe(client.request(**kwargs), loop)
            return future.result(timeout=REQUEST_TIMEOUT)

        for edge in _out_of_range_ids(operation, seeded, headers):
            await asyncio.to_thread(_fuzz, edge, send, 2)
        await asyncio.to_thread(_fuzz, _strategy(operation, seeded, headers), send, MAX_EXAMPLES)


async def test_a_body_that_is_not_utf8_is_a_400(ws: WorkspaceFixture) -> None:
    """Found by schemathesis: FastAPI's bare 400 for undecodable bytes, now a documented
    problem (not JSON at all: 400 malformed_json, CONTRACT §1.1)."""
    response = await ws.post(
        "/members", content=b"\xff\xfe{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "malformed_json"
