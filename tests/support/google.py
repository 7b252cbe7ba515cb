"""calbridge wired to an in-process Google emulator: the one place the test folders that talk to
Google (google/, google_sync/, admin's Google tests) take their settings and context from, so
a folder's ``settings``/``services`` fixtures say only what differs (named overrides), not a
copy of the whole."""

from __future__ import annotations

from typing import Any

import httpx

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
