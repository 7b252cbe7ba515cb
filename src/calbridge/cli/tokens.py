"""``calbridge token …``: create (optionally expiring), list and revoke API tokens. The token
itself is printed once, by ``create``; ``list`` shows its prefix, never the token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.auth.models import ApiToken
from calbridge.auth.service import create_token, list_tokens, revoke_token
from calbridge.cli.common import emit, emit_all, fail, run, with_database, workspace_by_uuid
from calbridge.db import Database, utcnow

token_app = typer.Typer(help="API tokens.", no_args_is_help=True)

DURATION = re.compile(r"(\d+)([smhdw])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_expiry(text: str, now: datetime) -> datetime:
    """``30d``, ``12h``, ``90m``, ``2w``, ``45s``, or an ISO 8601 datetime (UTC if it has no
    offset). Raises ValueError for anything else, or for a moment not after ``now``."""
    duration = DURATION.fullmatch(text.strip())
    if duration:
        amount, unit = duration.groups()
        expires = now + timedelta(**{UNITS[unit]: int(amount)})
    else:
        try:
            expires = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(
                f"--expires {text!r}: give a duration (30d, 12h, 90m, 2w) or an ISO datetime"
            ) from None
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
    if expires <= now:
        raise ValueError(f"--expires {text!r} is not in the future")
    return expires.astimezone(UTC)


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def describe(token: ApiToken) -> dict[str, object]:
    """A token as ``token list`` shows it: what tells it apart, never the secret."""
    return {
        "id": token.id,
        "prefix": token.prefix,
        "name": token.name,
        "scopes": token.scopes,
        "createdAt": _when(token.created_at),
        "lastUsedAt": _when(token.last_used_at),
        "expiresAt": _when(token.expires_at),
        "revokedAt": _when(token.revoked_at),
    }


@token_app.command("create")
def token_create(
    workspace: Annotated[str, typer.Option(help="Workspace uuid")],
    scopes: Annotated[str, typer.Option(help="Comma-separated, e.g. calendars:read")],
    name: Annotated[str, typer.Option()] = "cli",
    expires: Annotated[
        str | None,
        typer.Option(help="A duration (30d, 12h, 90m, 2w) or an ISO datetime; default: never"),
    ] = None,
) -> None:
    """Create an API token; the token is shown only now."""
    try:
        expires_at = None if expires is None else parse_expiry(expires, utcnow())
    except ValueError as error:
        fail(str(error))

    async def work(db: Database) -> None:
        found = await workspace_by_uuid(db, workspace)
        async with db.transaction() as session:
            issued = await create_token(
                session,
                found,
                scopes=[s.strip() for s in scopes.split(",") if s.strip()],
                name=name,
                expires_at=expires_at,
            )
        emit(
            {
                "id": issued.token.id,
                "token": issued.secret,
                "scopes": issued.token.scopes,
                "expiresAt": _when(issued.token.expires_at),
            }
        )

    run(with_database(work))


@token_app.command("list")
def token_list(workspace: Annotated[str, typer.Option(help="Workspace uuid")]) -> None:
    """List the workspace's tokens, one JSON object per line (oldest first)."""

    async def work(db: Database) -> None:
        found = await workspace_by_uuid(db, workspace)
        async with db.session(write=False) as session:
            tokens = await list_tokens(session, found.id)
        emit_all(tokens, describe, "no tokens")

    run(with_database(work))


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The id (from token list)")]) -> None:
    """Revoke a token at once; requests with it are refused from now on."""

    async def work(db: Database) -> None:
        async with db.transaction() as session:
            token = await _token(session, token_id)
            await revoke_token(session, token)
        emit(describe(token))

    run(with_database(work))


async def _token(session: AsyncSession, token_id: int) -> ApiToken:
    token = await session.get(ApiToken, token_id, with_for_update=True)
    if token is None:
        fail(f"no token {token_id}")
    return token
