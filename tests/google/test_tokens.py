"""Tokens at rest and in use: refresh before and after expiry, a revoked grant breaks the
connection, nothing is stored in plain text, and key rotation keeps connections working."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
import pytest
from cryptography.fernet import InvalidToken
from fastapi import FastAPI
from sqlalchemy import select, update

from calbridge.account.models import Account
from calbridge.cli.keys import rotate_all
from calbridge.crypto import TokenCipher, generate_key, key_ring
from calbridge.db import Base, utcnow
from calbridge.google import service
from calbridge.google.models import GoogleConnection
from calbridge.services import Services
from calbridge_google_emulator import GoogleEmulator
from tests.support.api import WorkspaceFixture
from tests.support.google import gateway_for

from .conftest import connection_of

if TYPE_CHECKING:  # a runtime import would make pytest collect it as a test class
    from tests.support.databases import TestDatabase


async def listing(ws: WorkspaceFixture, account_id: int) -> httpx.Response:
    return await ws.client.get(f"/api/{account_id}/calendar", headers=ws.headers("read"))


async def stored_access_token(test_db: TestDatabase, app: FastAPI, account_id: int) -> str:
    connection = await connection_of(test_db, account_id)
    assert connection is not None
    return TokenCipher.from_settings(app.state.settings).decrypt(connection.access_token_encrypted)


async def test_an_access_token_google_no_longer_accepts_is_refreshed(
    test_db: TestDatabase,
    app: FastAPI,
    ws: WorkspaceFixture,
    connected: int,
    emulator: GoogleEmulator,
) -> None:
    before = await stored_access_token(test_db, app, connected)
    emulator.advance_clock(2 * 3600)  # Google's clock: the access token has expired

    response = await listing(ws, connected)

    assert response.status_code == 200, response.text
    after = await stored_access_token(test_db, app, connected)
    assert after != before
    assert (await listing(ws, connected)).status_code == 200
    assert await stored_access_token(test_db, app, connected) == after


async def test_a_token_about_to_expire_is_refreshed_before_use(
    test_db: TestDatabase, app: FastAPI, ws: WorkspaceFixture, connected: int
) -> None:
    before = await stored_access_token(test_db, app, connected)
    async with test_db.database.transaction() as session:
        await session.execute(
            update(GoogleConnection).values(expires_at=utcnow() + timedelta(seconds=30))
        )

    assert (await listing(ws, connected)).status_code == 200

    assert await stored_access_token(test_db, app, connected) != before
    connection = await connection_of(test_db, connected)
    assert connection is not None and connection.expires_at is not None
    assert connection.expires_at > utcnow() + timedelta(minutes=30)


async def test_a_revoked_grant_marks_the_connection_broken(
    test_db: TestDatabase, ws: WorkspaceFixture, connected: int, emulator: GoogleEmulator
) -> None:
    emulator.revoke(email="testuser@example.com")

    first = await listing(ws, connected)
    second = await listing(ws, connected)

    assert first.status_code == 404 and first.json()["code"] == "google_not_connected"
    assert second.status_code == 404
    connection = await connection_of(test_db, connected)
    assert connection is not None
    assert connection.status == "broken"
    assert connection.last_error and "refresh token" in connection.last_error
    async with test_db.database.session(write=False) as session:
        account = await session.get_one(Account, connected)
        status = await service.connection_status(session, account)
    assert status.state == "broken"


async def dump(test_db: TestDatabase) -> str:
    """Every row of every table, as text."""
    lines = []
    async with test_db.database.session(write=False) as session:
        for table in Base.metadata.sorted_tables:
            for row in await session.execute(select(table)):
                lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


async def test_the_database_holds_no_token_in_plain_text(
    test_db: TestDatabase,
    app: FastAPI,
    ws: WorkspaceFixture,
    connected: int,
    emulator: GoogleEmulator,
) -> None:
    emulator.advance_clock(2 * 3600)
    assert (await listing(ws, connected)).status_code == 200  # a refreshed token is stored too
    secrets = [grant["refreshToken"] for grant in emulator.snapshot()["grants"]]
    secrets.append(await stored_access_token(test_db, app, connected))
    assert all(secrets) and len(secrets) == 2

    text = await dump(test_db)

    assert "google_connections" in text
    for secret in secrets:
        assert secret not in text


async def test_after_key_rotation_connections_work_and_the_old_key_is_not_needed(
    test_db: TestDatabase,
    app: FastAPI,
    ws: WorkspaceFixture,
    connected: int,
    emulator: GoogleEmulator,
) -> None:
    settings = app.state.settings
    old_cipher = TokenCipher.from_settings(settings)  # development: derived from secret_key
    old_key, new_key = key_ring(settings)[0].decode(), generate_key()
    ring = TokenCipher.from_settings(
        settings.model_copy(update={"encryption_keys": f"{new_key},{old_key}"})
    )

    assert await rotate_all(test_db.database, ring) == 1

    connection = await connection_of(test_db, connected)
    assert connection is not None and connection.refresh_token_encrypted is not None
    for ciphertext in (connection.access_token_encrypted, connection.refresh_token_encrypted):
        with pytest.raises(InvalidToken):
            old_cipher.decrypt(ciphertext)
    # Only the new key from now on: the connection still works, refresh included.
    rotated = settings.model_copy(update={"encryption_keys": new_key})
    app.state.services = Services.build(
        rotated, database=test_db.database, google=gateway_for(rotated, emulator)
    )
    emulator.advance_clock(2 * 3600)
    assert (await listing(ws, connected)).status_code == 200
