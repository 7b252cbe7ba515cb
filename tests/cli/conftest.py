"""The operator CLI run in-process against the test database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from click.testing import Result

from tests.support.cli import json_lines, run_cli
from tests.support.databases import TestDatabase

Invoke = Callable[..., Awaitable[Result]]
lines = json_lines


@pytest.fixture
def cli(test_db: TestDatabase) -> Invoke:
    """``await cli("token", "list", ...)``: runs the command on the test database."""

    async def invoke(*args: str, input: str | None = None) -> Result:
        return await run_cli(test_db, *args, input=input)

    return invoke
