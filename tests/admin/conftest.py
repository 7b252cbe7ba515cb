"""Fixtures for the admin panel: an admin user, and an HTTP client of the panel that signs in
and sends the page's CSRF token with every form, as a browser would."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.admin.service import create_admin_user
from tests.admin.browser import LiveServer, Visit, launch_browser, start_server
from tests.support import databases

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


@dataclass
class Panel:
    """A browser-like client of /admin: keeps the cookie and the latest CSRF token."""

    client: httpx.AsyncClient
    csrf: str = ""

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.client.get(path, **kwargs)
        match = CSRF_FIELD.search(response.text)
        if match:
            self.csrf = match.group(1)
        return response

    async def post(self, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
        """POST a form with the current CSRF token (load a page first, as a browser would)."""
        return await self.client.post(path, data={"csrf_token": self.csrf, **(data or {})})

    async def add(self, uuid: str, kind: str, form: dict[str, Any]) -> httpx.Response:
        """Post the form that adds a ``kind`` (``calendars``, ``events``, ``rules``) to workspace
        ``uuid``, opened first as a browser would."""
        await self.get(f"/admin/w/{uuid}/{kind}/new")
        return await self.post(f"/admin/w/{uuid}/{kind}", form)

    async def sign_in(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
        await self.get("/admin/login")
        response = await self.post("/admin/login", {"email": email, "password": password})
        assert response.status_code == 303, response.text
        await self.get("/admin/workspaces")


def saved_id(response: httpx.Response) -> int:
    """The id of what a form saved, from the page it redirects to (``…/calendars/7?…``)."""
    return int(response.headers["location"].split("?")[0].rsplit("/", 1)[1])


@pytest.fixture
async def admin_user(test_db: databases.TestDatabase) -> None:
    async with test_db.database.transaction() as session:
        await create_admin_user(session, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[Panel]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Panel(client)


@pytest.fixture
async def panel(anonymous: Panel, admin_user: None) -> Panel:
    """A signed-in panel client."""
    await anonymous.sign_in()
    return anonymous


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from start_server(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch_browser()


@pytest.fixture(scope="module")
def browser_admin(live_server: LiveServer) -> tuple[str, str]:
    """An admin user on the live server (email, password)."""

    async def create(session: AsyncSession) -> None:
        await create_admin_user(session, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)

    live_server.run(create)
    return ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.fixture
def visit(
    browser: Browser,
    live_server: LiveServer,
    browser_admin: tuple[str, str],
    request: pytest.FixtureRequest,
) -> Iterator[Visit]:
    """A fresh, signed-in browser context for one test."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    tab = Visit(page, live_server.url, request.node.name.removeprefix("test_"))
    tab.sign_in(*browser_admin)
    yield tab
    context.close()
