"""An account's Google connection: its status for the admin panel, disconnecting, and a
Calendar client for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account.models import Account
from calbridge.db import Database
from calbridge.google import token_endpoint
from calbridge.google.client import GoogleCalendarClient
from calbridge.google.credentials import ConnectionCredentials
from calbridge.google.crypto import TokenCipher
from calbridge.google.errors import GoogleError
from calbridge.google.gateway import GoogleGateway
from calbridge.google.models import ACTIVE, GoogleConnection
from calbridge.settings import get_settings


@dataclass(frozen=True)
class ConnectionStatus:
    """What the admin panel shows: ``not_connected`` (Connect), ``connected`` ("Connected as
    {email}", Disconnect) or ``broken`` (Reconnect; ``last_error`` says why)."""

    state: Literal["not_connected", "connected", "broken"]
    email: str | None = None
    last_error: str | None = None

    @property
    def label(self) -> str:
        if self.state == "connected":
            return f"Connected as {self.email}"
        if self.state == "broken":
            return f"Connection broken ({self.email}); reconnect"
        return "Not connected"


async def get_connection(session: AsyncSession, account_id: int) -> GoogleConnection | None:
    return await session.scalar(
        select(GoogleConnection).where(GoogleConnection.account_id == account_id)
    )


async def connection_status(session: AsyncSession, account: Account) -> ConnectionStatus:
    connection = await get_connection(session, account.id)
    if connection is None:
        return ConnectionStatus("not_connected")
    if connection.status == ACTIVE:
        return ConnectionStatus("connected", connection.google_email)
    return ConnectionStatus("broken", connection.google_email, connection.last_error)


async def disconnect(
    session: AsyncSession, account: Account, *, gateway: GoogleGateway | None = None
) -> bool:
    """Revoke the grant at Google and delete the connection. Returns whether Google confirmed
    the revocation; the connection is deleted either way (a grant Google could not be told
    about stays visible under the user's Google account permissions, where they can remove
    it), so Disconnect always works. No connection: nothing to do, returns True."""
    gateway = gateway or GoogleGateway(get_settings())
    connection = await get_connection(session, account.id)
    if connection is None:
        return True
    cipher = TokenCipher.from_settings(gateway.settings)
    secret = connection.refresh_token_encrypted or connection.access_token_encrypted
    revoked = True
    try:
        await token_endpoint.revoke(gateway, cipher.decrypt(secret))
    except GoogleError:
        revoked = False
    await session.delete(connection)
    await session.flush()
    return revoked


def calendar_client(
    gateway: GoogleGateway,
    database: Database,
    connection: GoogleConnection,
    *,
    retries: int | None = None,
) -> GoogleCalendarClient:
    """A Calendar client acting as ``connection`` (see ``google.credentials`` about the
    database writes it makes, and why no write transaction may be open around its calls)."""
    credentials = ConnectionCredentials(gateway, database, connection, retries=retries)
    return GoogleCalendarClient(gateway, credentials, retries=retries)
