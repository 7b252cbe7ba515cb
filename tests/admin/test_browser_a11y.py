"""The panel for people who use a keyboard, a screen reader or a phone (issue 15 acceptance 5):
axe-core finds nothing serious or critical on any page; sign-in → book → cancel works with the
keyboard alone; at 390 by 844 px no table is wider than the screen. The pages are found by following
the panel's own links, so a page added later is checked without being listed here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account.service import create_account
from calbridge.outbox.models import OutboxJob
from calbridge.workspace import repository as workspace_repository
from tests.admin.browser import LiveServer, SeededApi, Visit, serious_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
# One visit per kind of page: ids and UUIDs in a path do not make a new kind.
ID_IN_PATH = re.compile(r"/(\d+|[0-9a-f]{8}-[0-9a-f-]{27})(?=/|$)")
MOST_PAGES = 60
# A day with free slots whatever day the tests run (slots in the past are not offered).
FREE_DAY = (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
# The widest any table or the page itself may be, as the page reports it.
WIDTHS = """() => ({
  page: document.documentElement.scrollWidth,
  tables: [...document.querySelectorAll("table")].map((t) =>
    Math.max(t.scrollWidth, Math.ceil(t.getBoundingClientRect().right))),
  viewport: window.innerWidth,
})"""


@dataclass(frozen=True)
class Scene:
    uuid: str
    calendar_id: int
    event_id: int


@pytest.fixture(scope="module")
def scene(live_server: LiveServer) -> Scene:
    """A workspace with a page and more of members, a calendar with events, a rule, an account
    and a failed job: every list has rows and every row its buttons."""
    api = SeededApi(live_server, "Access & Co")
    uuid = api.uuid
    for n in range(23):
        api.post("/members", {"name": f"Member {n:02d}", "email": f"member{n}@example.com"})
    calendar = api.post("/calendars", {"name": "Studio A", "timezone": "Europe/Amsterdam"})
    events = [
        api.post(
            "/calendar-events",
            {
                "calendarId": calendar["id"],
                "title": f"Session {day}",
                "startTime": f"2026-04-{day}T09:00:00",
                "endTime": f"2026-04-{day}T10:00:00",
            },
        )
        for day in range(13, 16)
    ]
    api.post(
        "/event-rules",
        {
            "name": "Long ones are tentative",
            "triggers": ["event.created"],
            "conditions": [{"field": "durationMinutes", "op": "gte", "value": 240}],
            "actions": [{"type": "set_status", "status": "tentative"}],
        },
    )

    async def rest(session: AsyncSession) -> None:
        workspace = await workspace_repository.get_workspace_by_uuid(session, uuid)
        assert workspace is not None
        await create_account(session, workspace, name="Front desk")
        session.add(OutboxJob(kind="demo", payload={}, status="failed", last_error="boom"))

    live_server.run(rest)
    return Scene(uuid, calendar["id"], events[0]["id"])


@pytest.fixture
def phone(
    browser: Browser, live_server: LiveServer, browser_admin: tuple[str, str]
) -> Iterator[Visit]:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    tab = Visit(page, live_server.url, "phone")
    tab.sign_in(*browser_admin)
    yield tab
    context.close()


def _panel_links(page: Page) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        "a[href^='/admin/']", "links => links.map((link) => link.getAttribute('href'))"
    )
    return [href for href in hrefs if not href.startswith(("/admin/static/", "/admin/logout"))]


def crawl(tab: Visit, start: list[str]) -> Iterator[str]:
    """Every kind of page reachable by links from ``start``, each loaded in ``tab`` once."""
    queue, kinds = list(start), set()
    while queue and len(kinds) < MOST_PAGES:
        path = queue.pop(0)
        kind = ID_IN_PATH.sub("/#", path.split("?", 1)[0])
        if kind in kinds:
            continue
        kinds.add(kind)
        tab.go(path)
        yield path
        queue.extend(_panel_links(tab.page))


def _start(scene: Scene) -> list[str]:
    base = f"/admin/w/{scene.uuid}"
    return [
        "/admin/workspaces",
        f"{base}/events/new?calendar={scene.calendar_id}&day={FREE_DAY}",  # slots listed
        f"{base}/events/{scene.event_id}",
        "/admin/w/no-such-workspace",  # the 404 page
    ]


def test_axe_finds_nothing_serious_on_any_page(visit: Visit, scene: Scene) -> None:
    findings: dict[str, list[str]] = {}
    visited = []
    for path in crawl(visit, _start(scene)):
        visited.append(path)
        found = serious_violations(visit.page)
        if found:
            findings[path] = found
    assert len(visited) >= 15, visited  # lists, forms and detail pages were reached
    assert findings == {}

    # Pages no link leads to: a form sent back with errors, a refused (CSRF) form, sign-in.
    page = visit.page
    visit.go("/admin/workspaces")
    page.fill("#name", "Nowhere Ltd")
    page.fill("#timezone", "Mars/Olympus_Mons")
    page.click("text=Create workspace")
    expect(page.locator("#timezone")).to_be_focused()  # the first field in error
    expect(page.locator("#timezone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#timezone")).to_have_attribute("aria-describedby", "timezone-error")
    expect(page.locator("#timezone-error")).to_contain_text("Unknown time zone")
    visit.shot("form-errors")
    assert serious_violations(page) == []

    page.locator("form[method=post][action='/admin/workspaces'] input[name=csrf_token]").evaluate(
        "field => { field.value = 'stale'; }"
    )
    page.click("text=Create workspace")
    expect(page.locator("h1")).to_have_text("Form expired")
    assert serious_violations(page) == []

    visit.go("/admin/workspaces")
    page.click("text=Sign out")
    expect(page.locator("h1")).to_have_text("Sign in")
    assert serious_violations(page) == []


def test_on_a_phone_no_table_is_wider_than_the_screen(phone: Visit, scene: Scene) -> None:
    too_wide: dict[str, dict[str, Any]] = {}
    tables = 0
    for path in crawl(phone, _start(scene)):
        widths = phone.page.evaluate(WIDTHS)
        tables += len(widths["tables"])
        if max([widths["page"], *widths["tables"]]) > widths["viewport"]:
            too_wide[path] = widths
        if "table" in phone.page.content():
            phone.shot(ID_IN_PATH.sub("", path.split("?")[0]).strip("/").replace("/", "-"))
    assert tables >= 8  # the lists were there, as cards
    assert too_wide == {}


def test_sign_in_book_and_cancel_with_the_keyboard_alone(
    browser: Browser, live_server: LiveServer, browser_admin: tuple[str, str], scene: Scene
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm box: Enter, for a person
    keys = Keyboard(page)
    try:
        page.goto(f"{live_server.url}/admin/login")
        email, password = browser_admin
        expect(page.locator("#email")).to_be_focused()  # autofocus
        page.keyboard.type(email)
        page.keyboard.press("Tab")
        page.keyboard.type(password)
        page.keyboard.press("Enter")
        page.wait_for_url("**/admin/workspaces")

        # The skip link is the first stop and takes focus past the navigation.
        page.keyboard.press("Tab")
        expect(page.locator("a.skip")).to_be_focused()
        page.keyboard.press("Enter")
        keys.tab_to("a", "Access & Co")
        page.keyboard.press("Enter")
        keys.tab_to(".tabs a", "Events")
        page.keyboard.press("Enter")
        keys.tab_to("a", "Book an event")
        page.keyboard.press("Enter")

        # The slot finder: Studio A is the only calendar; a day typed; a free slot chosen.
        keys.tab_to("#finder_day")
        keys.type_date(FREE_DAY)
        keys.tab_to("button", "Show free slots")
        page.keyboard.press("Enter")
        keys.tab_to(".slots a", re.compile(r"^10:00"))
        page.keyboard.press("Enter")
        expect(page.locator("#start_time")).to_have_value(re.compile(f"^{FREE_DAY}[T ]10:00"))

        keys.tab_to("#title")
        page.keyboard.type("Keyboard session")
        keys.tab_to("button", "Book")
        page.keyboard.press("Enter")
        expect(page.locator("h1")).to_have_text("Keyboard session")
        expect(page.locator("#event-status")).to_have_text("Confirmed")

        keys.tab_to("#reason")
        page.keyboard.type("Typed, not clicked")
        keys.tab_to("button", "Cancel event")
        page.keyboard.press("Enter")
        expect(page.locator("#event-status")).to_have_text("Cancelled")
        expect(page.locator("dl.facts")).to_contain_text("Typed, not clicked")
    finally:
        context.close()


@dataclass
class Keyboard:
    page: Page
    # More Tab presses than any page has stops before the wanted one.
    most: int = 120

    def tab_to(self, selector: str, text: str | re.Pattern[str] | None = None) -> None:
        """Press Tab until the focused element matches ``selector`` (and shows ``text``)."""
        target = self.page.locator(selector, has_text=text) if text else self.page.locator(selector)
        for _ in range(self.most):
            self.page.keyboard.press("Tab")
            if target.first.evaluate("element => element === document.activeElement"):
                return
        raise AssertionError(f"Tab never reached {selector} {text or ''}")

    def type_date(self, iso: str) -> None:
        """Type a date as a person would into the focused field: digits in the browser's
        order for a date picker (month, day, year in en-US), the ISO text otherwise."""
        if self.page.evaluate("() => document.activeElement.type") == "date":
            year, month, day = iso.split("-")
            self.page.keyboard.type(f"{month}{day}{year}")
        else:
            self.page.keyboard.type(iso)
