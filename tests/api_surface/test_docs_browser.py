"""CONTRACT §1.1: /docs (Swagger UI) and /redoc (ReDoc) work with no internet. Chromium loads
them from a live server with every request to another host refused, and they show the API with
its bearer authorization."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.admin.browser import LiveServer, launch_browser, start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from start_server(tmp_path_factory.mktemp("docs"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch_browser()


def _offline_page(browser: Browser, server: LiveServer) -> tuple[Page, list[str]]:
    """A tab that may reach the server only; the refused URLs are collected."""
    own = urlsplit(server.url).netloc
    refused: list[str] = []
    page = browser.new_page()

    def gate(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == own or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    page.route("**/*", gate)
    return page, refused


def test_swagger_ui_renders_offline_with_an_authorize_button(
    browser: Browser, live_server: LiveServer
) -> None:
    page, refused = _offline_page(browser, live_server)
    page.goto(live_server.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("calbridge", timeout=20_000)
    expect(page.get_by_text("List Calendar Events").first).to_be_visible()
    authorize = page.locator("button.authorize")
    expect(authorize).to_be_visible()
    authorize.click()
    expect(page.get_by_role("heading", name="bearerAuth (http, Bearer)")).to_be_visible()
    expect(page.get_by_role("textbox", name="auth-bearer-value")).to_be_visible()
    page.close()
    assert refused == []


def test_redoc_renders_offline_and_names_the_bearer_scheme(
    browser: Browser, live_server: LiveServer
) -> None:
    page, refused = _offline_page(browser, live_server)
    page.goto(live_server.url + "/redoc")
    expect(page.locator("h1").first).to_contain_text("calbridge", timeout=20_000)
    expect(page.get_by_text("Create Calendar Event").first).to_be_attached()
    # ReDoc has no Authorize button; it lists each operation's authorization instead.
    expect(page.get_by_text("bearerAuth").first).to_be_attached()
    page.close()
    # ReDoc's bundle links its own "powered by" logo from its CDN; refused, the page still
    # renders (above). Nothing it needs (script, style, font, the document) comes from afar.
    assert [url for url in refused if not url.endswith(".svg")] == []
