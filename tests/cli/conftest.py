"""The operator CLI run in-process (typer's CliRunner) against the test database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from calbridge.cli.main import app as cli_app
from calbridge.settings import get_settings
from tests.support.databases import TestDatabase

Invoke = Callable[..., Awaitable[Result]]


@pytest.fixture
def cli(test_db: TestDatabase, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``await cli("token", "list", ...)``: runs the command on the test database."""
    for name, value in test_db.command_env().items():
        if name.startswith("CALBRIDGE_"):
            monkeypatch.setenv(name, value)

    async def invoke(*args: str, input: str | None = None) -> Result:
        get_settings.cache_clear()
        try:
            # The command runs its own event loop, so it runs in a thread.
            return await asyncio.to_thread(CliRunner().invoke, cli_app, list(args), input=input)
        finally:
            get_settings.cache_clear()

    return invoke


def lines(result: Result) -> list[dict[str, Any]]:
    """The JSON objects a command printed on stdout, one per line."""
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]
