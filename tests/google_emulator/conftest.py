"""Fixtures: a fresh emulator per test, reached in process through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from calbridge_google_emulator import GoogleEmulator

from .flows import BASE_URL


@pytest.fixture
def emulator() -> GoogleEmulator:
    return GoogleEmulator()


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
