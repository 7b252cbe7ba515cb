"""A live calbridge server and a real Chromium for the panel's browser tests.

The server runs uvicorn in a thread with its own event loop, on a free port of 127.0.0.1, over a
migrated SQLite file of its own. Seeding the database happens the same way: in a thread with its
own loop, so these synchronous tests never touch pytest's event loop. Every page a test visits
is saved as a screenshot under ``artifacts/screenshots/`` (ignored by git). ``serious_violations``
runs axe-core (``npm ci`` at the repository root installs it) on the page a tab shows."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp

from calbridge.app import create_app
from calbridge.auth.scopes import ALL_SCOPES
from calbridge.auth.service import create_token
from calbridge.db import Database
from calbridge.migrate import upgrade
from calbridge.settings import Settings
from calbridge.workspace.service import create_workspace
from tests.support.databases import IN_CI

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Each finding as one line: rule, impact, what it says, and the first few elements it names.
AXE_RUN = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
  .filter((v) => v.impact === "serious" || v.impact === "critical")
  .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3)
    .map((n) => n.target.join(" ")).join(", ")}`)"""
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    database_url: str
    settings: Settings

    def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in one committed transaction against the server's database."""

        async def main() -> T:
            database = Database(self.database_url)
            try:
                async with database.transaction() as session:
                    return await work(session)
            finally:
                await database.dispose()

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, main()).result()

    def seed_workspace(self, name: str) -> tuple[str, str]:
        """A workspace (Europe/Amsterdam) and a token with every scope: (uuid, secret)."""

        async def seed(session: AsyncSession) -> tuple[str, str]:
            workspace = await create_workspace(session, name=name, timezone="Europe/Amsterdam")
            issued = await create_token(session, workspace, scopes=list(ALL_SCOPES), name="seed")
            return workspace.uuid, issued.secret

        return self.run(seed)


class SeededApi:
    """The API of a workspace seeded on the live server, with a token of every scope."""

    def __init__(self, live_server: LiveServer, name: str) -> None:
        self.uuid, secret = live_server.seed_workspace(name)
        self.base = f"{live_server.url}/api/v2/w/{self.uuid}"
        self.headers = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}

    def get(self, path: str) -> Any:
        response = httpx.get(f"{self.base}{path}", headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(f"{self.base}{path}", headers=self.headers, json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def event(self, calendar_id: int, title: str, start: str, end: str) -> dict[str, Any]:
        body = {"calendarId": calendar_id, "title": title, "startTime": start, "endTime": end}
        return self.post("/calendar-events", body)


def serve(app: ASGIApp, port: int) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on ``port`` of 127.0.0.1; yields its URL. uvicorn
    is kept from configuring logging (its config stops the access log from propagating) and its
    loggers' levels are put back afterwards: later tests read the access log of this process."""
    loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    levels = [logger.level for logger in loggers]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def start_server(
    directory: Path, settings_for: Callable[[str], dict[str, Any]] | None = None
) -> Iterator[LiveServer]:
    """calbridge over a fresh SQLite file; ``settings_for(url)`` gives settings to override,
    knowing the URL the server will have (for a redirect URI)."""
    database_url = f"sqlite+aiosqlite:///{directory / 'calbridge-browser.db'}"
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, database_url).result()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    overrides = settings_for(url) if settings_for else {}
    settings = Settings(environment="test", database_url=database_url, **overrides)
    for _ in serve(create_app(settings), port):
        yield LiveServer(url, database_url, settings)


def launch_browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM) or shutil.which(CHROMIUM) is None:
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Visit:
    """A browser tab for one test; ``shot`` saves what the page shows now."""

    page: Page
    base_url: str
    name: str
    shots: list[Path] = field(default_factory=list)

    def go(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def sign_in(self, email: str, password: str) -> None:
        """Through the login page, which any panel page redirects to when signed out."""
        self.go("/admin/workspaces")
        assert self.page.url.endswith("/admin/login")
        self.shot("sign-in")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url("**/admin/workspaces")

    def shot(self, label: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{len(self.shots) + 1:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)


def add_date_exception(page: Page, day: str, start: str, end: str) -> None:
    """On the calendar form: a new date exception open from ``start`` to ``end``, its date
    typed into the date field (as picking it does)."""
    page.click("text=Add a date exception")
    exception = page.locator("#exceptions fieldset").last
    exception.locator("input[type=date]").fill(day)
    expect(exception.locator("[data-iso-date]")).to_have_text(day)  # shown ISO, any locale
    exception.locator("button", has_text="Add hours").click()
    exception.locator("input[name$='-start']").fill(start)
    exception.locator("input[name$='-end']").fill(end)


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on what ``page`` shows now. The script is
    evaluated through the DevTools protocol, which the panel's CSP (no inline script) allows."""
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE} (run npm ci at the repository root)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[str] = page.evaluate(AXE_RUN)
    return found
