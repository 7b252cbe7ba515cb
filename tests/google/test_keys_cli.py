"""``calbridge keys rotate`` re-encrypts stored tokens with the newest key."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import pytest
from cryptography.fernet import InvalidToken
from typer.testing import CliRunner

from calbridge.cli.main import app as cli
from calbridge.crypto import TokenCipher, generate_key, key_ring
from calbridge.settings import Settings, get_settings

from .conftest import connection_of

if TYPE_CHECKING:  # a runtime import would make pytest collect it as a test class
    from tests.support.databases import TestDatabase


async def test_keys_rotate_command(
    test_db: TestDatabase, settings: Settings, connected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_key, new_key = key_ring(settings)[0].decode(), generate_key()
    monkeypatch.setenv("CALBRIDGE_DATABASE_URL", test_db.url)
    monkeypatch.setenv("CALBRIDGE_ENVIRONMENT", "test")
    if test_db.schema:
        monkeypatch.setenv("CALBRIDGE_DATABASE_SCHEMA", test_db.schema)
    monkeypatch.setenv("CALBRIDGE_ENCRYPTION_KEYS", f"{new_key},{old_key}")
    get_settings.cache_clear()
    try:
        # The command runs its own event loop, so it runs in a thread.
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["keys", "rotate"])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"rotated": 1}
    connection = await connection_of(test_db, connected)
    assert connection is not None
    with pytest.raises(InvalidToken):
        TokenCipher.from_settings(settings).decrypt(connection.access_token_encrypted)
    new_only = TokenCipher([new_key.encode()])
    assert new_only.decrypt(connection.access_token_encrypted)
