"""Admin users in the panel: create (argon2, as the CLI does), delete another (never yourself),
and change your own password (the current one is needed; other sessions end, this one stays)."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from calbridge.admin.models import AdminUser
from tests.admin.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Panel
from tests.support import databases

NEW_PASSWORD = "a much longer secret"


async def _users(test_db: databases.TestDatabase) -> dict[str, AdminUser]:
    async with test_db.database.session(write=False) as session:
        return {u.email: u for u in await session.scalars(select(AdminUser))}


async def _signs_in(app: FastAPI, email: str, password: str) -> bool:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        browser = Panel(client)
        await browser.get("/admin/login")
        answer = await browser.post("/admin/login", {"email": email, "password": password})
        return answer.status_code == 303


async def test_an_admin_user_is_created_then_deleted_but_never_yourself(
    panel: Panel, app: FastAPI, test_db: databases.TestDatabase
) -> None:
    await panel.get("/admin/users")
    short = await panel.post("/admin/users", {"email": "ops@example.com", "password": "short"})
    assert short.status_code == 422 and 'data-field="password"' in short.text
    taken = await panel.post("/admin/users", {"email": ADMIN_EMAIL, "password": "long enough"})
    assert taken.status_code == 422 and 'data-field="email"' in taken.text
    assert set(await _users(test_db)) == {ADMIN_EMAIL}

    fields = {"email": "Ops@Example.com", "password": "long enough"}
    created = await panel.post("/admin/users", fields)
    assert created.status_code == 303
    listed = await panel.get("/admin/users")
    assert "Admin user ops@example.com created." in listed.text
    users = await _users(test_db)
    assert users["ops@example.com"].password_hash.startswith("$argon2")
    assert await _signs_in(app, "ops@example.com", "long enough")

    me = users[ADMIN_EMAIL].id
    assert f"/admin/users/{me}/delete" not in listed.text  # no button for yourself
    refused = await panel.post(f"/admin/users/{me}/delete")
    assert refused.status_code == 409 and "your own admin user" in refused.text
    deleted = await panel.post(f"/admin/users/{users['ops@example.com'].id}/delete")
    assert deleted.status_code == 303
    assert set(await _users(test_db)) == {ADMIN_EMAIL}
    assert not await _signs_in(app, "ops@example.com", "long enough")


async def test_a_password_change_needs_the_current_one_and_keeps_this_session(
    panel: Panel, app: FastAPI
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        elsewhere = Panel(client)
        await elsewhere.sign_in()

        await panel.get("/admin/password")
        wrong = await panel.post(
            "/admin/password",
            {"current_password": "guess", "new_password": NEW_PASSWORD,
             "confirm_password": NEW_PASSWORD},
        )  # fmt: skip
        assert wrong.status_code == 422 and 'data-field="current_password"' in wrong.text
        mismatch = await panel.post(
            "/admin/password",
            {"current_password": ADMIN_PASSWORD, "new_password": NEW_PASSWORD,
             "confirm_password": "something else"},
        )  # fmt: skip
        assert mismatch.status_code == 422 and 'data-field="confirm_password"' in mismatch.text
        assert await _signs_in(app, ADMIN_EMAIL, ADMIN_PASSWORD)  # nothing changed yet

        changed = await panel.post(
            "/admin/password",
            {"current_password": ADMIN_PASSWORD, "new_password": NEW_PASSWORD,
             "confirm_password": NEW_PASSWORD},
        )  # fmt: skip
        assert changed.status_code == 303
        page = await panel.get(changed.headers["location"])
        assert page.status_code == 200 and "Password changed" in page.text  # still signed in
        gone = await elsewhere.get("/admin/workspaces")
        assert gone.status_code == 303 and gone.headers["location"] == "/admin/login"
    assert not await _signs_in(app, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert await _signs_in(app, ADMIN_EMAIL, NEW_PASSWORD)
    assert re.search(r"<td[^>]*>admin@example.com <span", page.text)
