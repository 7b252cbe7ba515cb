"""calbridge wired to an in-process Google emulator: the one place the test folders that talk to
Google (google/, google_sync/, admin's Google tests) take their settings and context from, so
a folder's ``settings``/``services`` fixtures say only what differs (named overrides), not a
copy of the whole. The fixtures at the end are a folder's defaults: its conftest binds the ones
it does not override (``emulator = google_support.emulator``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from calbridge.google.gateway import GoogleGateway
from calbridge.services import Services
from calbridge.settings import Settings
from calbridge_google_emulator import GoogleEmulator
from tests.support.databases import TestDatabase

GOOGLE = "http://google.test"


def google_settings(test_db: TestDatabase, **overrides: Any) -> Settings:
    """Settings of an app on the test database whose Google is the emulator."""
    return Settings(
        environment="test",
        database_url=test_db.url,
        database_schema=test_db.schema,
        google_base_url=GOOGLE,
        google_client_id="calbridge-dev",
        google_client_secret="calbridge-dev-secret",
        google_retry_backoff_seconds=0.001,
        google_timeout_seconds=5.0,
        **overrides,
    )


def gateway_for(settings: Settings, emulator: GoogleEmulator) -> GoogleGateway:
    return GoogleGateway(settings, transport=httpx.ASGITransport(app=emulator.app))


def services_with_emulator(
    settings: Settings, test_db: TestDatabase, emulator: GoogleEmulator, **parts: Any
) -> Services:
    """The test's context, reaching Google through the emulator (``parts``: e.g. its clock)."""
    return Services.build(
        settings, database=test_db.database, google=gateway_for(settings, emulator), **parts
    )


class AppTransport(httpx.AsyncBaseTransport):
    """The emulator's notification deliveries, handed to the calbridge app in process (the
    app is made after the emulator, so it is plugged in later)."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert self.app is not None
        return await httpx.ASGITransport(app=self.app).handle_async_request(request)


def pushing_emulator(to_app: AppTransport, retry_delays: tuple[float, ...]) -> GoogleEmulator:
    """An emulator whose push notifications go to the app behind ``to_app``."""
    return GoogleEmulator(
        notification_http=httpx.AsyncClient(transport=to_app),
        notification_retry_delays=retry_delays,
    )


@pytest.fixture
def emulator() -> GoogleEmulator:
    return GoogleEmulator()


@pytest.fixture
def settings(test_db: TestDatabase) -> Settings:
    return google_settings(test_db)


@pytest.fixture
def services(settings: Settings, test_db: TestDatabase, emulator: GoogleEmulator) -> Services:
    """The app (and any worker) reach Google through the emulator."""
    return services_with_emulator(settings, test_db, emulator)


@pytest.fixture
async def google(emulator: GoogleEmulator) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the emulator itself: the browser at Google, and its test user."""
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url=GOOGLE) as http:
        yield http
