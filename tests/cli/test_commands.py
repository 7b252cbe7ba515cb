"""Every operator command (CONTRACT §5): what it prints, and that errors go to stderr with a
non-zero exit and change nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib.metadata import version

import httpx
import pytest
from sqlalchemy import func, select

from calbridge.admin.models import AdminUser
from calbridge.admin.service import authenticate
from calbridge.auth.models import ApiToken
from calbridge.cli.tokens import parse_expiry
from tests.cli.conftest import Invoke, lines
from tests.support.databases import TestDatabase


async def test_version(cli: Invoke) -> None:
    result = await cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"calbridge {version('calbridge')}\n"


async def make_workspace(cli: Invoke, name: str = "Acme") -> str:
    [created] = lines(await cli("workspace", "create", "--name", name, "--timezone", "UTC"))
    uuid: str = created["uuid"]
    return uuid


async def test_workspace_list(cli: Invoke) -> None:
    empty = await cli("workspace", "list")
    assert empty.exit_code == 0
    assert (empty.stdout, empty.stderr) == ("", "no workspaces\n")

    first = await make_workspace(cli, "Acme")
    second = await make_workspace(cli, "Globex")
    assert lines(await cli("workspace", "list")) == [
        {"uuid": first, "name": "Acme", "timezone": "UTC"},
        {"uuid": second, "name": "Globex", "timezone": "UTC"},
    ]


async def test_account_list(cli: Invoke) -> None:
    uuid = await make_workspace(cli)
    other = await make_workspace(cli, "Other")
    empty = await cli("account", "list", "--workspace", uuid)
    assert (empty.exit_code, empty.stdout, empty.stderr) == (0, "", "no accounts\n")

    [created] = lines(await cli("account", "create", "--workspace", uuid, "--name", "Sales"))
    lines(await cli("account", "create", "--workspace", other, "--name", "Elsewhere"))
    [shown] = lines(await cli("account", "list", "--workspace", uuid))
    assert shown["id"] == created["id"]
    assert shown["name"] == "Sales"
    assert shown["googleCalendarUsed"] is False

    unknown = await cli("account", "list", "--workspace", "no-such-uuid")
    assert unknown.exit_code == 1
    assert unknown.stdout == ""
    assert "no workspace no-such-uuid" in unknown.stderr


async def test_token_list_shows_everything_but_the_token_and_revoke_stops_it(
    cli: Invoke, client: httpx.AsyncClient
) -> None:
    uuid = await make_workspace(cli)
    [created] = lines(
        await cli(
            "token", "create", "--workspace", uuid, "--scopes", "calendars:read",
            "--name", "reporting", "--expires", "30d",
        )
    )  # fmt: skip
    secret = created["token"]
    expires = datetime.fromisoformat(created["expiresAt"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)

    listed = await cli("token", "list", "--workspace", uuid)
    [shown] = lines(listed)
    assert secret not in listed.stdout
    assert secret.startswith(shown["prefix"])
    assert shown["id"] == created["id"]
    assert shown["name"] == "reporting"
    assert shown["scopes"] == ["calendars:read"]
    assert datetime.fromisoformat(shown["expiresAt"]) == expires
    assert shown["lastUsedAt"] is None and shown["revokedAt"] is None
    assert datetime.fromisoformat(shown["createdAt"]) <= datetime.now(UTC)

    auth = {"Authorization": f"Bearer {secret}"}
    assert (await client.get(f"/api/v2/w/{uuid}/calendars", headers=auth)).status_code == 200
    [used] = lines(await cli("token", "list", "--workspace", uuid))
    assert used["lastUsedAt"] is not None

    [revoked] = lines(await cli("token", "revoke", str(created["id"])))
    assert revoked["revokedAt"] is not None
    assert secret not in json.dumps(revoked)
    assert (await client.get(f"/api/v2/w/{uuid}/calendars", headers=auth)).status_code == 401
    [after] = lines(await cli("token", "list", "--workspace", uuid))
    assert after["revokedAt"] == revoked["revokedAt"]

    missing = await cli("token", "revoke", "999999")
    assert (missing.exit_code, missing.stdout) == (1, "")
    assert "no token 999999" in missing.stderr


async def test_token_list_of_a_workspace_without_tokens(cli: Invoke) -> None:
    uuid = await make_workspace(cli)
    result = await cli("token", "list", "--workspace", uuid)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "no tokens\n")


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("2020-01-01T00:00:00+00:00", "is not in the future"),
        ("soon", "give a duration"),
        ("0d", "is not in the future"),
    ],
)
async def test_token_create_refuses_a_bad_expiry_and_creates_nothing(
    cli: Invoke, test_db: TestDatabase, expires: str, message: str
) -> None:
    uuid = await make_workspace(cli)
    result = await cli(
        "token", "create", "--workspace", uuid, "--scopes", "calendars:read", "--expires", expires
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert message in result.stderr
    async with test_db.database.session(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_expiry_forms() -> None:
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    assert parse_expiry("12h", now) == now + timedelta(hours=12)
    assert parse_expiry("2w", now) == now + timedelta(weeks=2)
    assert parse_expiry("90m", now) == now + timedelta(minutes=90)
    assert parse_expiry("2027-01-01T09:00", now) == datetime(2027, 1, 1, 9, tzinfo=UTC)
    assert parse_expiry("2027-01-01T09:00+01:00", now) == datetime(2027, 1, 1, 8, tzinfo=UTC)


async def test_an_expired_token_is_refused(
    cli: Invoke, client: httpx.AsyncClient, test_db: TestDatabase
) -> None:
    uuid = await make_workspace(cli)
    [created] = lines(
        await cli(
            "token", "create", "--workspace", uuid, "--scopes", "calendars:read", "--expires", "1h"
        )
    )
    async with test_db.database.transaction() as session:
        token = await session.get(ApiToken, created["id"])
        assert token is not None
        token.expires_at = datetime.now(UTC) - timedelta(seconds=1)  # an hour has passed
    auth = {"Authorization": f"Bearer {created['token']}"}
    assert (await client.get(f"/api/v2/w/{uuid}/calendars", headers=auth)).status_code == 401


async def signs_in(test_db: TestDatabase, email: str, password: str) -> bool:
    async with test_db.database.session(write=False) as session:
        return await authenticate(session, email=email, password=password) is not None


async def admin_count(test_db: TestDatabase) -> int:
    async with test_db.database.session(write=False) as session:
        return await session.scalar(select(func.count()).select_from(AdminUser)) or 0


async def test_admin_password_from_a_hidden_confirmed_prompt(
    cli: Invoke, test_db: TestDatabase
) -> None:
    password = "tr0ub4dor&3-long"
    result = await cli(
        "admin", "create-user", "--email", "Ops@Example.com", input=f"{password}\n" * 2
    )
    assert result.exit_code == 0, result.output
    assert password not in result.output  # hidden: not echoed
    assert "Repeat for confirmation" in result.output
    assert json.loads(result.stdout.splitlines()[-1])["email"] == "ops@example.com"
    assert await signs_in(test_db, "ops@example.com", password)

    mismatch = await cli(
        "admin", "create-user", "--email", "b@example.com", input="aaaaaaaaa\nbbbbbbbbb\n"
    )
    assert mismatch.exit_code != 0
    assert "do not match" in mismatch.output
    assert await admin_count(test_db) == 1


async def test_admin_password_from_stdin(cli: Invoke, test_db: TestDatabase) -> None:
    result = await cli(
        "admin", "create-user", "--email", "ops@example.com", "--password-stdin",
        input="from stdin 123\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["email"] == "ops@example.com"
    assert "from stdin 123" not in result.output
    assert await signs_in(test_db, "ops@example.com", "from stdin 123")

    empty = await cli(
        "admin", "create-user", "--email", "b@example.com", "--password-stdin", input=""
    )
    assert empty.exit_code == 1
    assert "stdin held no password" in empty.stderr
    both = await cli(
        "admin", "create-user", "--email", "c@example.com", "--password-stdin",
        "--password", "abcdefghij", input="abcdefghij\n",
    )  # fmt: skip
    assert both.exit_code == 1
    assert "not both" in both.stderr
    assert await admin_count(test_db) == 1


async def test_admin_password_option_still_works(cli: Invoke, test_db: TestDatabase) -> None:
    result = await cli(
        "admin", "create-user", "--email", "ops@example.com", "--password", "old-script-pw"
    )
    assert result.exit_code == 0, result.output
    assert await signs_in(test_db, "ops@example.com", "old-script-pw")
    short = await cli("admin", "create-user", "--email", "x@example.com", "--password", "short")
    assert short.exit_code == 1
    assert "at least 8 characters" in short.stderr
    help_text = (await cli("admin", "create-user", "--help")).stdout
    assert "Discouraged" in help_text and "--password-stdin" in help_text


async def test_jobs_list_says_when_there_are_none(cli: Invoke) -> None:
    result = await cli("jobs", "list")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "no jobs\n")
    failed = await cli("jobs", "list", "--failed")
    assert (failed.exit_code, failed.stdout, failed.stderr) == (0, "", "no failed jobs\n")
