"""Fixtures: a fresh emulator per test, reached in process through httpx's ASGI transport.

Its push notifications go to `receiver` through an `httpx.MockTransport`; retries wait a
few milliseconds instead of Google's seconds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from calbridge_google_emulator import GoogleEmulator

from .flows import BASE_URL
from .receiver import Receiver


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def emulator(receiver: Receiver) -> AsyncIterator[GoogleEmulator]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver.handle)) as http:
        emulator = GoogleEmulator(
            notification_http=http, notification_retry_delays=(0.01, 0.02, 0.04)
        )
        yield emulator
        await emulator.aclose()


@pytest.fixture
async def client(emulator: GoogleEmulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


@pytest.fixture
def token(emulator: GoogleEmulator) -> str:
    return emulator.issue_access_token()


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
