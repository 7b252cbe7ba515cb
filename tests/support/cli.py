"""The operator CLI run in-process (typer's CliRunner) against a test database."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from click.testing import Result
from typer.testing import CliRunner

from calbridge.cli.main import app as cli_app
from calbridge.settings import get_settings
from tests.support.databases import TestDatabase


async def run_cli(test_db: TestDatabase, *args: str, input: str | None = None) -> Result:
    """``calbridge ARGS`` on the test database (its own event loop, so in a thread)."""
    env = {k: v for k, v in test_db.command_env().items() if k.startswith("CALBRIDGE_")}
    get_settings.cache_clear()
    try:
        return await asyncio.to_thread(CliRunner(env=env).invoke, cli_app, list(args), input=input)
    finally:
        get_settings.cache_clear()


def json_lines(result: Result) -> list[dict[str, Any]]:
    """The JSON objects a command printed on stdout, one per line (it must have succeeded)."""
    assert result.exit_code == 0, (result.output, result.exception)
    return [json.loads(line) for line in result.stdout.splitlines()]
