"""``calbridge admin set-password``: a new password, and every panel session of the user ended."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from calbridge.admin.models import AdminSession
from calbridge.admin.service import create_admin_user
from calbridge.admin.session import start_session
from tests.cli.conftest import Invoke
from tests.cli.test_commands import signs_in
from tests.support.databases import TestDatabase


async def test_set_password_changes_it_and_ends_every_session(
    cli: Invoke, test_db: TestDatabase
) -> None:
    async with test_db.database.transaction() as session:
        user = await create_admin_user(session, email="ops@example.com", password="old password")
        for _ in range(2):
            await start_session(session, user.id)

    result = await cli(
        "admin", "set-password", "--email", "ops@example.com", "--password-stdin",
        input="brand new password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["email"] == "ops@example.com"
    assert await signs_in(test_db, "ops@example.com", "brand new password")
    assert not await signs_in(test_db, "ops@example.com", "old password")
    async with test_db.database.session(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(AdminSession)) == 0

    unknown = await cli(
        "admin", "set-password", "--email", "nobody@example.com", "--password-stdin",
        input="brand new password\n",
    )  # fmt: skip
    assert unknown.exit_code == 1
    assert "Admin user not found" in unknown.stderr
