"""The API against its own OpenAPI document, with schemathesis and every check it has.

Every operation is fed generated requests (valid and invalid) with an all-scopes token, for a
seeded workspace whose uuid fills ``workspace_uuid`` (so requests reach the handlers) and whose
calendars, members, events and account fill the other path parameters about half the time. Each
response must not be a 5xx, must match what the document promises (status, content type, body,
headers), invalid input must be refused and valid input accepted (see ``POSITIVE_STATUSES``),
and the token's absence must be noticed. A stateful run then follows the document's links from
what a create returned to the operations on it.

The app runs under uvicorn on the test's event loop (where the database engine lives); Hypothesis
drives real HTTP requests to it from a worker thread.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from calbridge.account.service import create_account
from calbridge.app import create_app
from calbridge.settings import Settings
from tests.support.api import make_workspace
from tests.support.live import live_server

if TYPE_CHECKING:
    from fastapi import FastAPI
    from schemathesis.schemas import APIOperation

    from tests.support.api import WorkspaceFixture
    from tests.support.databases import TestDatabase

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 15
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


def _fuzz(strategy: Any, url: str, max_examples: int) -> None:
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
        # Every check schemathesis has (_config tunes one); some send requests of their own.
        case.call_and_validate(base_url=url, timeout=REQUEST_TIMEOUT)

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
    schema = schemathesis.openapi.from_dict(spec, config=_config(ws.tokens["all"]))
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    headers = {"Accept": "application/json"}
    # A real server (uvicorn on the test's loop): the checks that send requests of their own
    # (without the token, after a delete, …) reach it too.
    async with live_server(app) as url:
        for edge in _out_of_range_ids(operation, seeded, headers):
            await asyncio.to_thread(_fuzz, edge, url, 2)
        await asyncio.to_thread(_fuzz, _strategy(operation, seeded, headers), url, MAX_EXAMPLES)


async def test_a_body_that_is_not_utf8_is_a_400(ws: WorkspaceFixture) -> None:
    """Found by schemathesis: FastAPI's bare 400 for undecodable bytes, now a documented
    problem (not JSON at all: 400 malformed_json, CONTRACT §1.1)."""
    response = await ws.post(
        "/members", content=b"\xff\xfe{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "malformed_json"


def _integers_as_integers(value: Any) -> Any:
    """JSON Schema counts 229.0 as an integer; CONTRACT §1.1 does not (ids and counts are
    written as integers), so integral numbers go out as integers, as any JSON encoder of an int
    writes them. (That 229.0 is refused is tested in tests/api_surface.)"""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, dict):
        return {key: _integers_as_integers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integers_as_integers(item) for item in value]
    return value


STATEFUL_EXAMPLES = 25
# Every check runs. Schema-valid input may still be refused with 422 for what JSON Schema cannot
# say: a calendar or member that does not exist (calendar_not_found), endTime before startTime,
# text with NUL characters; and with 412 for a stale If-Match. Anything else (400, 415, a 5xx)
# for schema-valid input fails the check.
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "412", "422"]


def _config(token: str, *, mode: str = "all") -> SchemathesisConfig:
    """The token goes in as the document's bearer scheme (not a plain header), so the checks
    that try the request without it, or with a wrong one, can take it away."""
    auth = {"auth": {"openapi": {"bearerAuth": {"bearer": token}}}} if token else {}
    return SchemathesisConfig.from_dict(
        {
            **auth,
            "generation": {"mode": mode},
            "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}},
        }
    )


STATEFUL_STEPS = 6


async def test_stateful_sequences_through_the_links_conform(
    ws: WorkspaceFixture, test_db: TestDatabase, app: FastAPI
) -> None:
    """Issue 11 acceptance 2: schemathesis follows the document's links (create → read, change,
    cancel, answer, delete what was created) against a real server, with every check it has:
    no 5xx, no answer outside the document, no valid input refused."""
    await _seed(ws, test_db)
    spec = (await ws.client.get("/openapi.json")).json()
    # schemathesis rewrites the document it is given (its links among them): a copy. The token
    # goes with each call (each scenario has a workspace of its own); the auth checks run in
    # test_operation_conforms_to_the_schema.
    # Schema-valid input only: each call carries its scenario's token as a plain header, so a
    # negative case that drops Authorization would be sent with it all the same and reported as
    # "invalid input accepted". Invalid input, missing and wrong tokens are the per-operation
    # test's (the bearer scheme there lets schemathesis take the token away).
    config = _config("", mode="positive")
    schema = schemathesis.openapi.from_dict(copy.deepcopy(spec), config=config).include(
        path_regex="^/api/v2/"
    )
    loop = asyncio.get_running_loop()
    scenarios = iter(range(10_000))

    def fresh_workspace() -> WorkspaceFixture:
        # A scenario starts from an empty workspace, so that Hypothesis, replaying one, meets
        # the same answers (a member created by an earlier scenario would make it a 409).
        name = f"Scenario {next(scenarios)}"
        made = make_workspace(test_db.database, ws.client, name=name)
        return asyncio.run_coroutine_threadsafe(made, loop).result(timeout=REQUEST_TIMEOUT)

    async with live_server(app) as url:

        class Machine(schema.as_state_machine()):  # type: ignore[misc]
            def setup(self) -> None:
                self.workspace = fresh_workspace()

            def before_call(self, case: Any) -> None:
                if "workspace_uuid" in (case.path_parameters or {}):
                    case.path_parameters["workspace_uuid"] = self.workspace.uuid
                case.body = _integers_as_integers(case.body)

            def get_call_kwargs(self, case: Any) -> dict[str, Any]:
                return {"base_url": url, "headers": self.workspace.headers()}

        run = settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        await asyncio.to_thread(Machine.run, settings=run)
    # How far the random scenarios follow the links varies with the ids the database hands
    # out; that the links lead where they say is checked below, the same on every run.
    await _follow_every_link(ws, spec)


async def _follow_every_link(ws: WorkspaceFixture, spec: dict[str, Any]) -> None:
    """Each create's links name real operations and parameters, and the reads among them
    answer 200 for the created thing."""
    by_id = {
        operation["operationId"]: (method, path)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }
    calendar = await ws.calendar(allowOverlap=True)
    made = {
        "/calendars": calendar,
        "/members": await ws.member("Linda"),
        "/calendar-events": await ws.event(calendar["id"]),
    }
    followed = []
    for collection, thing in made.items():
        created = spec["paths"][f"/api/v2/w/{{workspace_uuid}}{collection}"]["post"]
        links = created["responses"]["201"]["links"]
        for link in links.values():
            method, path = by_id[link["operationId"]]
            values = {"workspace_uuid": ws.uuid}
            for name, expression in link["parameters"].items():
                assert expression in {"$response.body#/id", "$request.path.workspace_uuid"}
                values.setdefault(name, thing["id"])
            assert set(link["parameters"]) <= set(re.findall(r"{(\w+)}", path)), (path, link)
            parameters = spec["paths"][path][method].get("parameters", [])
            needs_query = any(p["in"] == "query" and p.get("required") for p in parameters)
            if method == "get" and path.count("{") == len(values) and not needs_query:
                url = path.format(**values).removeprefix(f"/api/v2/w/{ws.uuid}")
                response = await ws.get(url)
                assert response.status_code == 200, (path, response.text)
                followed.append(path)
    assert len(followed) >= 4, followed
