"""API tokens: random, prefixed, shown once, kept only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.auth.models import ApiToken
from calbridge.auth.scopes import ALL_SCOPES
from calbridge.db import utcnow
from calbridge.errors import ValidationProblem
from calbridge.workspace.models import Workspace

TOKEN_PREFIX = "cbk_"
# last_used_at is a hint, not an audit log: refreshing it at most this often keeps GETs read-only.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole token, shown once


async def create_token(
    session: AsyncSession,
    workspace: Workspace,
    *,
    scopes: list[str],
    name: str = "api",
    expires_at: datetime | None = None,
) -> IssuedToken:
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown or not scopes:
        raise ValidationProblem(
            f"Scopes must be a non-empty subset of {', '.join(ALL_SCOPES)}.", field="scopes"
        )
    public = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{public}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        workspace_id=workspace.id,
        name=name,
        prefix=f"{TOKEN_PREFIX}{public}",
        token_hash=hash_token(secret),
        scopes=[scope for scope in ALL_SCOPES if scope in scopes],
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    return IssuedToken(token=token, secret=secret)


# Every API request runs it: built once, its values bound per call.
_TOKEN_AND_WORKSPACE = (
    select(ApiToken, Workspace)
    .join(Workspace, Workspace.id == ApiToken.workspace_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


async def find_live_token(session: AsyncSession, secret: str) -> tuple[ApiToken, Workspace] | None:
    """The token and its workspace, if the secret names a live (not revoked, not expired) token."""
    found = await session.execute(_TOKEN_AND_WORKSPACE, {"token_hash": hash_token(secret)})
    row = found.first()
    if row is None:
        return None
    token, workspace = row
    now = utcnow()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    return token, workspace


def needs_touch(token: ApiToken) -> bool:
    return token.last_used_at is None or utcnow() - token.last_used_at > LAST_USED_RESOLUTION


async def touch(session: AsyncSession, token_id: int) -> None:
    """Refresh ``last_used_at`` unless another transaction holds the token's row (PostgreSQL:
    ``SKIP LOCKED``; SQLite's whole-database lock is declined by ``transaction_nowait``): a
    hint is never worth waiting for."""
    free = select(ApiToken.id).where(ApiToken.id == token_id).with_for_update(skip_locked=True)
    await session.execute(
        update(ApiToken).where(ApiToken.id.in_(free)).values(last_used_at=utcnow())
    )


async def revoke_token(session: AsyncSession, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await session.flush()


async def list_tokens(session: AsyncSession, workspace_id: int) -> list[ApiToken]:
    result = await session.scalars(
        select(ApiToken).where(ApiToken.workspace_id == workspace_id).order_by(ApiToken.id)
    )
    return list(result)
