"""Show-once values (a new token, a webhook signing secret) across a POST-redirect-GET.

The POST that creates the value stashes it, encrypted, on the admin's server-side session and
redirects; the GET it redirects to takes it back off the session (read and cleared in one locked
transaction) and shows it. Reloading that page finds nothing to show, and reloading never
repeats the POST, so it creates nothing. A stash is for one page: it is shown only there.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.admin.models import AdminSession
from calbridge.admin.session import Admin, session_key
from calbridge.crypto import InvalidToken, TokenCipher
from calbridge.deps import get_database
from calbridge.services import services_of


def _cipher(request: Request) -> TokenCipher:
    return services_of(request).cipher


async def stash(request: Request, db: AsyncSession, admin: Admin, page: str, **values: Any) -> None:
    """Keep ``values`` for the next GET of ``page`` (in the request's own transaction)."""
    sealed = _cipher(request).encrypt(json.dumps({"page": page, "values": values}))
    await db.execute(
        update(AdminSession)
        .where(AdminSession.token_hash == session_key(admin.session))
        .values(flash_encrypted=sealed)
    )


async def take(request: Request, admin: Admin, page: str) -> dict[str, Any] | None:
    """The values stashed for ``page``, removed from the session; None when there are none."""
    async with get_database(request).transaction() as db:
        row = (
            await db.execute(
                select(AdminSession.id, AdminSession.flash_encrypted)
                .where(AdminSession.token_hash == session_key(admin.session))
                .with_for_update()
            )
        ).first()
        if row is None or row.flash_encrypted is None:
            return None
        await db.execute(
            update(AdminSession).where(AdminSession.id == row.id).values(flash_encrypted=None)
        )
    try:
        stashed = json.loads(_cipher(request).decrypt(row.flash_encrypted))
    except (InvalidToken, ValueError):
        return None
    if stashed.get("page") != page:
        return None
    values: dict[str, Any] = stashed["values"]
    return values
