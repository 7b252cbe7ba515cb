"""The sign-in throttle holds under concurrency: 30 wrong passwords for one email, sent at once to
two server processes, get at most ``MAX_PER_EMAIL`` password checks between them (the rest are
refused with 429 before any check), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx

from calbridge.admin import throttle
from calbridge.admin.service import create_admin_user
from tests.concurrency.conftest import REQUEST_TIMEOUT, serve
from tests.support.databases import TestDatabase

EMAIL = "admin@example.com"
ATTEMPTS = 30


async def test_concurrent_wrong_passwords_get_at_most_the_limits_checks(
    test_db: TestDatabase, tmp_path: Path
) -> None:
    async with test_db.database.transaction() as session:
        await create_admin_user(session, email=EMAIL, password="correct horse battery")
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
    async with (
        serve(test_db, tmp_path / "one") as one,
        serve(test_db, tmp_path / "two") as two,
    ):
        barrier = asyncio.Barrier(ATTEMPTS)

        async def attempt(index: int) -> int:
            base_url = (one if index % 2 else two).base_url
            async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
                form = await client.get("/admin/login")  # its cookie and CSRF token
                match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
                assert match
                await barrier.wait()
                response = await client.post(
                    "/admin/login",
                    data={"csrf_token": match.group(1), "email": EMAIL, "password": "guess"},
                )
                return response.status_code

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(attempt(index)) for index in range(ATTEMPTS)]
    statuses = [task.result() for task in tasks]
    checked = statuses.count(400)  # a wrong password is only told after the check
    assert checked <= throttle.MAX_PER_EMAIL, statuses
    assert checked >= 1 and statuses.count(429) == ATTEMPTS - checked, statuses
