"""``calbridge keys …``: the encryption key ring of OAuth tokens at rest (docs/google.md)."""

from __future__ import annotations

import typer
from sqlalchemy import select

from calbridge.cli.common import emit, run, with_database
from calbridge.crypto import TokenCipher, generate_key
from calbridge.db import Database
from calbridge.google.models import GoogleConnection, GoogleOAuthState
from calbridge.rules.models import EventRule
from calbridge.settings import get_settings

keys = typer.Typer(help="Encryption keys of stored Google tokens.", no_args_is_help=True)


async def rotate_all(db: Database, cipher: TokenCipher) -> int:
    """Re-encrypt every stored secret with the newest key; returns how many connections."""
    async with db.transaction() as session:
        connections = list(await session.scalars(select(GoogleConnection).with_for_update()))
        for connection in connections:
            connection.access_token_encrypted = cipher.rotate(connection.access_token_encrypted)
            if connection.refresh_token_encrypted is not None:
                connection.refresh_token_encrypted = cipher.rotate(
                    connection.refresh_token_encrypted
                )
        for state in await session.scalars(select(GoogleOAuthState)):
            state.code_verifier_encrypted = cipher.rotate(state.code_verifier_encrypted)
        for rule in await session.scalars(select(EventRule).with_for_update()):
            rule.secret_encrypted = cipher.rotate(rule.secret_encrypted)
    return len(connections)


@keys.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored secret (Google tokens, webhook secrets) with the newest key (the
    first of CALBRIDGE_ENCRYPTION_KEYS). Afterwards the older keys may be removed."""
    cipher = TokenCipher.from_settings(get_settings())

    async def work(db: Database) -> None:
        emit({"rotated": await rotate_all(db, cipher)})

    run(with_database(work))


@keys.command("generate")
def generate() -> None:
    """Print a new key; put it first in CALBRIDGE_ENCRYPTION_KEYS, then run ``keys rotate``."""
    emit({"key": generate_key()})
