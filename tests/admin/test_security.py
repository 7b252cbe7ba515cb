"""The panel's guards, over HTTP: sign-in required, CSRF, no user enumeration, throttling,
escaping, and the session cookie's attributes."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import func, select

from calbridge.admin import throttle
from calbridge.admin.service import set_password
from calbridge.auth.models import ApiToken
from calbridge.workspace.models import Workspace
from tests.admin.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Panel
from tests.support import databases
from tests.support.api import WorkspaceFixture
from tests.support.clock import StillClock

PUBLIC = {"/admin/login"}  # the sign-in form and its POST


def _panel_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of every panel route: new pages are covered without a list."""
    found = []
    for context in iter_route_contexts(app.routes):
        path = context.path or ""
        admin = isinstance(context.original_route, APIRoute) and path.startswith("/admin")
        if admin and path not in PUBLIC:
            found += [(method, path) for method in sorted(context.methods or ())]
    return found


async def _targets(ws: WorkspaceFixture) -> dict[str, object]:
    calendar = await ws.calendar()
    event = await ws.event(calendar["id"])
    return {"uuid": ws.uuid, "calendar_id": calendar["id"], "event_id": event["id"]}


def _fill(path: str, names: dict[str, object]) -> str:
    """A path with its parameters filled in: real ids where there are some, else 1."""
    return re.sub(r"\{(\w+)\}", lambda m: str(names.get(m.group(1), 1)), path)


async def _count_workspaces(test_db: databases.TestDatabase) -> int:
    async with test_db.database.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(Workspace)) or 0


async def test_every_page_and_form_redirects_to_sign_in_without_a_session(
    app: FastAPI, anonymous: Panel, ws: WorkspaceFixture
) -> None:
    names = await _targets(ws)
    routes = _panel_routes(app)
    assert ("POST", "/admin/w/{uuid}/rules/{rule_id}/runs/{run_id}/retry") in routes
    assert len(routes) > 30
    for method, template in routes:
        path = _fill(template, names)
        if method == "GET":
            response = await anonymous.client.get(path)
        else:
            response = await anonymous.client.post(path, data={"name": "x"})
        assert response.status_code == 303, (method, path)
        assert response.headers["location"] == "/admin/login", (method, path)


async def test_a_forged_cookie_is_no_session(anonymous: Panel) -> None:
    anonymous.client.cookies.set("calbridge_admin", "eyJ1aWQiOjF9.forged.sig", path="/admin")
    response = await anonymous.client.get("/admin/workspaces")
    assert response.status_code == 303


@pytest.mark.parametrize("token", [None, "wrong-token"])
async def test_a_post_without_the_right_csrf_token_is_refused_and_changes_nothing(
    panel: Panel, ws: WorkspaceFixture, test_db: databases.TestDatabase, token: str | None
) -> None:
    before = await _count_workspaces(test_db)
    fields = {"name": "Sneaky", "timezone": "UTC"}
    sent = fields if token is None else {**fields, "csrf_token": token}
    response = await panel.client.post("/admin/workspaces", data=sent)
    assert response.status_code == 403
    assert "Nothing was changed" in response.text
    assert await _count_workspaces(test_db) == before
    # The same session with its real token does create it: the refusal was the token's.
    assert (await panel.post("/admin/workspaces", fields)).status_code == 303
    assert await _count_workspaces(test_db) == before + 1


async def test_the_sign_in_form_needs_its_csrf_token_too(
    anonymous: Panel, admin_user: None
) -> None:
    await anonymous.get("/admin/login")
    response = await anonymous.client.post(
        "/admin/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 403
    assert (await anonymous.client.get("/admin/workspaces")).status_code == 303


async def test_a_wrong_password_and_an_unknown_email_answer_alike(
    anonymous: Panel, admin_user: None
) -> None:
    await anonymous.get("/admin/login")
    wrong_password = await anonymous.post(
        "/admin/login", {"email": ADMIN_EMAIL, "password": "not the password"}
    )
    unknown_email = await anonymous.post(
        "/admin/login", {"email": "nobody@example.com", "password": "not the password"}
    )
    assert wrong_password.status_code == unknown_email.status_code == 400
    strip = [(ADMIN_EMAIL, "EMAIL"), ("nobody@example.com", "EMAIL")]

    def normalised(text: str) -> str:
        for value, placeholder in strip:
            text = text.replace(value, placeholder)
        return text

    assert normalised(wrong_password.text) == normalised(unknown_email.text)
    assert "Wrong email or password." in wrong_password.text


async def test_sign_in_and_out(anonymous: Panel, admin_user: None) -> None:
    await anonymous.sign_in()
    page = await anonymous.get("/admin/workspaces")
    assert page.status_code == 200 and ADMIN_EMAIL in page.text
    assert (await anonymous.post("/admin/logout")).status_code == 303
    assert (await anonymous.client.get("/admin/workspaces")).status_code == 303


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> StillClock:
    """The throttle's clock, standing still unless a test moves it: delays are exact."""
    clock = StillClock()
    monkeypatch.setattr(throttle, "utcnow", clock)
    return clock


async def test_repeated_failures_for_one_email_are_throttled(
    anonymous: Panel, admin_user: None, frozen: StillClock
) -> None:
    await anonymous.get("/admin/login")
    for _ in range(throttle.MAX_PER_EMAIL):
        response = await anonymous.post("/admin/login", {"email": ADMIN_EMAIL, "password": "guess"})
        assert response.status_code == 400
    # Now even the right password is refused from this client, until the delay has passed.
    response = await anonymous.post(
        "/admin/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert "Too many failed sign-ins. Try again in 1 seconds." in response.text
    assert (await anonymous.client.get("/admin/workspaces")).status_code == 303


async def test_the_delay_doubles_with_each_further_failure(
    anonymous: Panel, admin_user: None, frozen: StillClock
) -> None:
    await anonymous.get("/admin/login")
    guess = {"email": ADMIN_EMAIL, "password": "guess"}
    for _ in range(throttle.MAX_PER_EMAIL - 1):
        assert (await anonymous.post("/admin/login", guess)).status_code == 400
    waits = []
    for _ in range(5):
        assert (await anonymous.post("/admin/login", guess)).status_code == 400
        refused = await anonymous.post("/admin/login", guess)
        assert refused.status_code == 429
        waits.append(int(refused.headers["retry-after"]))
        frozen.now += timedelta(seconds=waits[-1])  # the guesser waits just long enough
    assert waits == [1, 2, 4, 8, 16]


async def test_the_owner_signs_in_from_another_client_after_an_attackers_failures(
    app: FastAPI, anonymous: Panel, admin_user: None, frozen: StillClock
) -> None:
    await anonymous.get("/admin/login")
    for _ in range(throttle.MAX_PER_EMAIL + 10):
        await anonymous.post("/admin/login", {"email": ADMIN_EMAIL, "password": "guess"})
    attacker = await anonymous.post(
        "/admin/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert attacker.status_code == 429

    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        owner = Panel(client)
        await owner.sign_in()  # asserts the redirect into the panel
        assert (await owner.client.get("/admin/workspaces")).status_code == 200


async def test_a_copied_cookie_is_refused_after_sign_out(
    app: FastAPI, anonymous: Panel, admin_user: None
) -> None:
    await anonymous.sign_in()
    copied = anonymous.client.cookies["calbridge_admin"]
    assert (await anonymous.post("/admin/logout")).status_code == 303

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as thief:
        thief.cookies.set("calbridge_admin", copied, path="/admin")
        response = await thief.get("/admin/workspaces")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login"


async def test_a_password_change_ends_every_session_of_the_user(
    app: FastAPI, admin_user: None, test_db: databases.TestDatabase
) -> None:
    panels = []
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as laptop,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as phone,
    ):
        for client in (laptop, phone):
            panels.append(Panel(client))
            await panels[-1].sign_in()
        async with test_db.database.transaction() as session:
            await set_password(session, email=ADMIN_EMAIL, password="a new password")
        for panel in panels:
            assert (await panel.client.get("/admin/workspaces")).status_code == 303
        await panels[0].sign_in(password="a new password")
        assert (await laptop.get("/admin/workspaces")).status_code == 200


async def test_repeated_failures_from_one_client_are_throttled_whatever_the_email(
    anonymous: Panel, admin_user: None, monkeypatch: pytest.MonkeyPatch, frozen: StillClock
) -> None:
    # A lower bound than the real one keeps the test short; the rule is the same.
    monkeypatch.setattr(throttle, "MAX_PER_CLIENT", 8)
    await anonymous.get("/admin/login")
    for number in range(throttle.MAX_PER_CLIENT):
        response = await anonymous.post(
            "/admin/login", {"email": f"user{number}@example.com", "password": "guess"}
        )
        assert response.status_code == 400
    response = await anonymous.post(
        "/admin/login", {"email": "fresh@example.com", "password": "guess"}
    )
    assert response.status_code == 429


async def test_html_in_names_is_shown_escaped(panel: Panel, ws: WorkspaceFixture) -> None:
    evil = "<script>alert('x')</script>"
    assert (
        await panel.post("/admin/workspaces", {"name": evil, "timezone": "UTC"})
    ).status_code == 303
    await ws.member(name=evil, email="evil@example.com")
    await ws.calendar(name=evil)
    pages = [
        await panel.get("/admin/workspaces"),
        await panel.get(f"/admin/w/{ws.uuid}/members"),
        await panel.get(f"/admin/w/{ws.uuid}/calendars"),
    ]
    for page in pages:
        assert "&lt;script&gt;alert(" in page.text
        assert evil not in page.text


async def test_the_session_cookie_is_http_only_and_same_site(
    anonymous: Panel, admin_user: None
) -> None:
    await anonymous.get("/admin/login")
    response = await anonymous.post(
        "/admin/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("calbridge_admin=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/admin" in cookie
    assert "max-age=" in cookie
    assert "secure" not in cookie  # plain http here; https requests get Secure


async def test_the_cookie_is_secure_over_https(anonymous: Panel) -> None:
    response = await anonymous.client.get("https://testserver/admin/login")
    assert "secure" in response.headers["set-cookie"].lower()


async def test_a_session_ends_when_it_expires(
    anonymous: Panel, admin_user: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calbridge.admin import session

    await anonymous.sign_in()
    assert (await anonymous.client.get("/admin/workspaces")).status_code == 200
    # Every signed-in cookie is now older than the sessions' lifetime.
    monkeypatch.setattr(session, "SESSION_MAX_AGE", -1)
    expired = await anonymous.client.get("/admin/workspaces")
    assert expired.status_code == 303
    assert "/admin/login" in expired.headers["location"]


@pytest.fixture
async def anonymous_too(app: FastAPI) -> AsyncIterator[Panel]:
    """A second client, never signed in (``panel`` is the signed-in ``anonymous``)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Panel(client)


SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


def _has_security_headers(response: httpx.Response) -> bool:
    return all(response.headers.get(name) == value for name, value in SECURITY_HEADERS.items())


async def test_every_admin_page_carries_the_security_headers(
    app: FastAPI, panel: Panel, anonymous_too: Panel, ws: WorkspaceFixture
) -> None:
    names = await _targets(ws)
    pages = [path for method, path in _panel_routes(app) if method == "GET"] + ["/admin/login"]
    assert len(pages) > 15
    for template in pages:
        path = _fill(template, names)
        for client in (panel.client, anonymous_too.client):  # the page, or its redirect
            response = await client.get(path)
            assert response.status_code < 500, path
            assert _has_security_headers(response), (path, dict(response.headers))
            assert "strict-transport-security" not in response.headers  # plain http
    for extra in ("/admin/static/admin.js", "/admin/no-such-page"):
        assert _has_security_headers(await panel.client.get(extra)), extra
    forms = await panel.post("/admin/workspaces", {"name": "", "timezone": "UTC"})  # refused
    assert _has_security_headers(forms)


async def test_hsts_is_sent_over_https(anonymous: Panel) -> None:
    response = await anonymous.client.get("https://testserver/admin/login")
    assert response.headers["strict-transport-security"] == "max-age=31536000"
    assert _has_security_headers(response)
    assert "strict-transport-security" not in (await anonymous.client.get("/healthz")).headers


def test_the_templates_have_no_inline_script_or_handler() -> None:
    templates = Path(__file__).resolve().parents[2] / "src/calbridge/admin/templates"
    for template in templates.glob("*.html"):
        html = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), template.name
        assert not re.search(r"\son[a-z]+\s*=", html), template.name
        assert "javascript:" not in html and "style=" not in html, template.name


async def test_reloading_after_creating_a_token_creates_nothing(
    panel: Panel, ws: WorkspaceFixture, test_db: databases.TestDatabase
) -> None:
    async def token_count() -> int:
        async with test_db.database.session(write=False) as session:
            return await session.scalar(select(func.count()).select_from(ApiToken)) or 0

    before = await token_count()
    await panel.get(f"/admin/w/{ws.uuid}/tokens")
    created = await panel.post(
        f"/admin/w/{ws.uuid}/tokens", {"name": "booking site", "scopes": "calendars:read"}
    )
    assert created.status_code == 303  # POST-redirect-GET: a reload repeats only the GET
    assert "cbk_" not in created.text
    shown = await panel.get(created.headers["location"])
    secret = re.search(r'id="new-token"[^>]*value="(cbk_[^"]+)"', shown.text)
    assert secret, "the new token is shown"
    for _ in range(2):
        reloaded = await panel.get(created.headers["location"])
        assert reloaded.status_code == 200
        assert secret.group(1) not in reloaded.text and 'id="new-token"' not in reloaded.text
    assert await token_count() == before + 1
