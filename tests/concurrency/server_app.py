"""The app factory the concurrency tests start under uvicorn: ``uvicorn --factory``.

Settings come from the environment (``CALBRIDGE_DATABASE_URL``, ``CALBRIDGE_DATABASE_SCHEMA``),
so the server process talks to the very database the test prepared.
"""

from __future__ import annotations

from fastapi import FastAPI

from calbridge.app import create_app
from calbridge.settings import Settings


def create() -> FastAPI:
    return create_app(Settings(environment="test"))


def create_with_worker() -> FastAPI:
    """The embedded default: the outbox worker runs inside the server process."""
    return create_app(Settings(environment="test"), run_worker=True)
