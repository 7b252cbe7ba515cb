"""Settings refuse what would be unsafe: no published key outside tests, a generated key kept
beside a SQLite database, keys that are keys, and errors that name variables, never values."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer
from pydantic import ValidationError

from calbridge.admin.service import create_admin_user
from calbridge.app import create_app
from calbridge.crypto import InvalidToken, TokenCipher, generate_key
from calbridge.db import Database
from calbridge.migrate import upgrade
from calbridge.settings import DEVELOPMENT_SECRET_KEY, Settings

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/calbridge"


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CALBRIDGE_"):
            monkeypatch.delenv(name)


def test_production_refuses_the_development_secret_key() -> None:
    key = generate_key()
    with pytest.raises(ValidationError, match="published development key"):
        Settings(environment="production", secret_key=DEVELOPMENT_SECRET_KEY, encryption_keys=key)
    Settings(environment="production", secret_key="s" * 40, encryption_keys=key)


@pytest.mark.parametrize("environment", ["development", "production"])
def test_the_published_key_is_refused_everywhere_but_tests(environment: str) -> None:
    with pytest.raises(ValidationError, match="published development key"):
        Settings(
            environment=environment,
            secret_key=DEVELOPMENT_SECRET_KEY,
            encryption_keys=generate_key(),
            database_url=POSTGRES,
        )
    assert Settings(environment="test").secret_key == DEVELOPMENT_SECRET_KEY


def test_postgresql_without_a_key_refuses_to_start() -> None:
    with pytest.raises(ValidationError, match="must be set when the database is PostgreSQL"):
        Settings(environment="development", database_url=POSTGRES)


def test_a_missing_key_is_generated_once_beside_the_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'calbridge.db'}"
    first = Settings(database_url=url)
    key_file = tmp_path / "calbridge.db.secret-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.secret_key == key_file.read_text().strip()
    assert len(first.secret_key) >= 32 and first.secret_key != DEVELOPMENT_SECRET_KEY
    assert Settings(database_url=url).secret_key == first.secret_key  # a restart reads it back
    other = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    assert other.secret_key != first.secret_key


def test_encryption_keys_that_are_not_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="key 1 of 1 is not a Fernet key"):
        Settings(environment="test", encryption_keys="notakey")
    with pytest.raises(ValidationError, match="key 2 of 2 is not a Fernet key"):
        Settings(environment="test", encryption_keys=f"{generate_key()},notakey")
    Settings(environment="test", encryption_keys=f"{generate_key()},{generate_key()}")


def test_configuration_errors_are_one_line_each_and_never_show_values() -> None:
    secret = "never-print-me-" + "x" * 30 + "-TAIL4242"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT / "src"),
        "CALBRIDGE_ENVIRONMENT": "production",
        "CALBRIDGE_SECRET_KEY": secret,
        "CALBRIDGE_ENCRYPTION_KEYS": "notakey",
        "CALBRIDGE_SMTP_PORT": "not-a-port-SMTPVALUE",
        "CALBRIDGE_DATABASE_URL": POSTGRES,
    }
    done = subprocess.run(
        [sys.executable, "-c", "from calbridge.cli import main; main()", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = sorted(done.stderr.strip().splitlines())
    assert len(lines) == 2, done.stderr
    assert lines[0].startswith("configuration error: CALBRIDGE_ENCRYPTION_KEYS key 1 of 1")
    assert lines[1].startswith("configuration error: CALBRIDGE_SMTP_PORT ")
    for value in ("TAIL4242", "never-print-me", "notakey", "SMTPVALUE"):
        assert value not in done.stderr + done.stdout


async def test_a_server_with_no_key_refuses_the_published_key_and_keeps_its_own(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'calbridge.db'}"
    await asyncio.to_thread(upgrade, url)
    database = Database(url)
    async with database.transaction() as session:
        await create_admin_user(session, email="admin@example.com", password="correct horse")

    async def serve() -> tuple[httpx.AsyncClient, Settings]:
        settings = Settings(database_url=url)  # as `calbridge serve` reads it: no key set
        transport = httpx.ASGITransport(app=create_app(settings, database=database))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver"), settings

    client, settings = await serve()
    async with client:
        forged = URLSafeTimedSerializer(DEVELOPMENT_SECRET_KEY, salt="calbridge-admin-session")
        client.cookies.set("calbridge_admin", forged.dumps({"csrf": "x", "uid": 1}), path="/admin")
        refused = await client.get("/admin/workspaces")
        assert refused.status_code == 303 and refused.headers["location"] == "/admin/login"
        client.cookies.clear()
        page = await client.get("/admin/login")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        signed_in = await client.post(
            "/admin/login",
            data={"csrf_token": csrf, "email": "admin@example.com", "password": "correct horse"},
        )
        assert signed_in.status_code == 303, signed_in.text
        cookie = client.cookies["calbridge_admin"]
        sealed = TokenCipher.from_settings(settings).encrypt("refresh-token")
    with pytest.raises(InvalidToken):  # not derived from the published key either
        TokenCipher.from_settings(Settings(environment="test")).decrypt(sealed)

    restarted, settings = await serve()
    async with restarted:
        restarted.cookies.set("calbridge_admin", cookie, path="/admin")
        assert (await restarted.get("/admin/workspaces")).status_code == 200
    assert TokenCipher.from_settings(settings).decrypt(sealed) == "refresh-token"
    await database.dispose()
