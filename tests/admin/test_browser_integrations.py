"""The panel's Google and event-rule pages in a real Chromium, against a live calbridge whose
Google URLs point at the Google emulator served over HTTP, and whose webhooks go to a receiver
on 127.0.0.1 (allowed by ``webhook_allowed_private_hosts``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.db import Database, utcnow
from calbridge.google.models import BROKEN, GoogleConnection
from calbridge.jobs import registry
from calbridge.outbox.models import OutboxJob
from calbridge.outbox.worker import Worker
from calbridge.services import Services
from calbridge_google_emulator import GoogleEmulator
from tests.admin.browser import (
    LiveServer,
    SeededApi,
    Visit,
    free_port,
    serve,
    start_server,
)

pytestmark = pytest.mark.browser
USER = "testuser@example.com"


@dataclass
class Receiver:
    """A webhook receiver: answers ``status`` until told otherwise, and keeps each request's
    ``webhook-id`` header."""

    status: int = 200
    ids: list[str] = field(default_factory=list)
    url: str = ""


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            found.ids.append(self.headers.get("webhook-id", ""))
            body = f"answer {found.status}".encode()
            self.send_response(found.status)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    """The Google emulator over real HTTP; yields its base URL."""
    yield from serve(GoogleEmulator().app, free_port())


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, emulator: str) -> Iterator[LiveServer]:
    def settings_for(url: str) -> dict[str, Any]:
        return {
            "google_base_url": emulator,
            "google_client_id": "calbridge-dev",
            "google_client_secret": "calbridge-dev-secret",
            "google_redirect_uri": f"{url}/google/oauth/callback",
            "webhook_allowed_private_hosts": ["127.0.0.1"],
        }

    directory: Path = tmp_path_factory.mktemp("browser-integrations")
    server = start_server(directory, settings_for)
    yield next(server)
    next(server, None)


def run_worker(live_server: LiveServer, *, rounds: int = 1) -> None:
    """Run every due job; between rounds, make waiting retries due now (instead of waiting
    for their backoff). The Google sync jobs call the server's Google (the emulator) through a
    gateway made for this run's event loop."""

    async def main() -> None:
        # The server's settings (so its keys and its Google, the emulator), and a gateway made
        # for this run's event loop.
        services = Services.build(live_server.settings, database=Database(live_server.database_url))
        database = services.database
        worker = Worker(services, registry())
        try:
            for _ in range(rounds):
                await worker.drain()
                async with database.transaction() as session:
                    await session.execute(
                        update(OutboxJob)
                        .where(OutboxJob.status == "pending")
                        .values(run_after=utcnow())
                    )
        finally:
            await services.google.aclose()
            await database.dispose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result()


def approve_at_google(visit: Visit, label: str) -> None:
    page = visit.page
    page.wait_for_url("**/o/oauth2/v2/auth?**")
    expect(page.locator("input[name=email]")).to_have_value(USER)
    visit.shot(label)
    page.click("button[value=allow]")
    page.wait_for_url("**/accounts/*?google=connected")


def test_connect_reconnect_and_disconnect_google(visit: Visit, live_server: LiveServer) -> None:
    uuid, _ = live_server.seed_workspace("Google Co")
    page = visit.page
    visit.go(f"/admin/w/{uuid}/accounts")
    page.fill("#name", "Front desk")
    page.click("text=Create account")
    expect(page.locator("#google-connect")).to_have_count(0)  # Google Calendar is off
    page.check("#google_calendar_used")
    with page.expect_navigation():
        page.click("main button.primary")
    expect(page.locator("#google-connection")).to_have_text("Not connected")
    visit.shot("account-not-connected")

    page.click("#google-connect")
    approve_at_google(visit, "google-consent")
    expect(page.locator("#google-connection")).to_have_text(f"Connected as {USER}")
    expect(page.locator("#google-connect")).to_have_count(0)
    visit.shot("account-connected")

    async def break_it(session: AsyncSession) -> None:
        await session.execute(
            update(GoogleConnection).values(status=BROKEN, last_error="invalid_grant")
        )

    live_server.run(break_it)  # as after Google refused a refresh
    page.reload()
    expect(page.locator("#google-connection")).to_contain_text("broken")
    expect(page.locator("#google-error")).to_have_text("invalid_grant")
    visit.shot("account-broken")
    expect(page.locator("#google-connect")).to_have_text("Reconnect")
    page.click("#google-connect")
    approve_at_google(visit, "google-consent-again")
    expect(page.locator("#google-connection")).to_have_text(f"Connected as {USER}")

    page.click("#google-disconnect")  # the confirm dialog is accepted
    page.wait_for_url("**?google=disconnected")
    expect(page.locator("#google-connection")).to_have_text("Not connected")
    expect(page.locator("#google-connect")).to_have_text("Connect Google Account")
    visit.shot("account-disconnected")

    async def connections(session: AsyncSession) -> int:
        return len(list(await session.scalars(select(GoogleConnection))))

    assert live_server.run(connections) == 0


def test_a_rule_runs_fails_and_is_retried_from_its_page(
    visit: Visit, live_server: LiveServer, receiver: Receiver
) -> None:
    api = SeededApi(live_server, "Rules Co")
    uuid = api.uuid
    calendar = api.post("/calendars", {"name": "Room A", "timezone": "Europe/Amsterdam"})

    def book(day: int) -> int:
        start, end = f"2026-04-{day}T09:00:00", f"2026-04-{day}T10:00:00"
        event_id: int = api.event(calendar["id"], f"Meeting {day}", start, end)["id"]
        return event_id

    page = visit.page
    visit.go(f"/admin/w/{uuid}/rules")
    page.click("text=New rule")
    page.fill("#name", "Tell the front desk")
    page.fill("input[name=action-0-url]", receiver.url)  # the builder's first action: a webhook
    visit.shot("rule-form")
    page.click("text=Create rule")
    shown = page.locator("#rule-secret").input_value()
    assert shown.startswith("whsec_")
    visit.shot("rule-created")
    page.click(".tabs >> text=Event rules")
    page.click("text=Tell the front desk")  # the rule's page, seen again: no secret
    rule_url = page.url
    expect(page.locator("#rule-secret")).to_have_count(0)
    assert shown not in page.content()

    receiver.status = 200
    first = book(13)
    run_worker(live_server)
    page.reload()
    run = page.locator("#runs tbody tr").first
    expect(run).to_contain_text(str(first))
    expect(run).to_contain_text("event.created")
    expect(run.locator(".run-status")).to_have_text("succeeded")
    expect(run).to_contain_text("last answer 200")
    visit.shot("rule-run-succeeded")

    receiver.status = 500  # until told otherwise
    second = book(14)
    run_worker(live_server, rounds=8)  # the first attempt and every retry of the schedule
    page.reload()
    run = page.locator("#runs tbody tr").first
    expect(run).to_contain_text(str(second))
    expect(run.locator(".run-status")).to_have_text("failed")
    expect(run).to_contain_text("7 attempts, last answer 500")
    visit.shot("rule-run-failed")

    receiver.status = 200
    run.locator("text=Retry").click()
    expect(page.locator(".flash.ok")).to_contain_text("will run again")
    run_worker(live_server)
    page.goto(rule_url)
    run = page.locator("#runs tbody tr").first
    expect(run.locator(".run-status")).to_have_text("succeeded")
    expect(run).to_contain_text("8 attempts, last answer 200")
    expect(page.locator("#runs .run-status", has_text="failed")).to_have_count(0)
    visit.shot("rule-run-retried")
    # Every attempt of one delivery carries the same webhook-id.
    assert len(set(receiver.ids[1:])) == 1 and receiver.ids[0] != receiver.ids[1]

    page.click("#toggle-rule")
    expect(page.locator("#rule-state")).to_have_text("disabled")
    page.click(".tabs >> text=Event rules")
    expect(page.locator("tr", has_text="Tell the front desk")).to_contain_text("disabled")
    visit.shot("rules-list")
