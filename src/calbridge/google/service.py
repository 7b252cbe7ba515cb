"""An account's Google connection: its status for the admin panel, disconnecting, and a
Calendar client for it.

Disconnecting is two steps so that Google is never called inside an open transaction:
``forget`` deletes the connection in the caller's transaction and returns its token, the caller
commits, then ``revoke`` tells Google. ``disconnect`` does both for callers without a
transaction of their own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account.models import Account
from calbridge.crypto import InvalidToken, TokenCipher
from calbridge.db import Database
from calbridge.google import mirror, token_endpoint
from calbridge.google.client import GoogleCalendarClient
from calbridge.google.connections import get_connection as get_connection  # for event.conflicts
from calbridge.google.credentials import ConnectionCredentials
from calbridge.google.errors import GoogleError, GoogleNotFound
from calbridge.google.gateway import GoogleGateway
from calbridge.google.models import ACTIVE, GoogleConnection

logger = logging.getLogger(__name__)


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


async def connection_status(session: AsyncSession, account: Account) -> ConnectionStatus:
    connection = await get_connection(session, account.id)
    if connection is None:
        return ConnectionStatus("not_connected")
    if connection.status == ACTIVE:
        return ConnectionStatus("connected", connection.google_email)
    return ConnectionStatus("broken", connection.google_email, connection.last_error)


@dataclass(frozen=True)
class Revocation:
    """The token of a deleted connection, to revoke at Google once the deletion is committed
    (``token`` is None when it could not be decrypted: the key is gone), and the push channels
    of its calendars, to stop first (with ``access_token``) while Google still accepts it."""

    token: str | None
    channels: list[tuple[str, str]] = field(default_factory=list)  # (id, resourceId)
    access_token: str | None = None


async def forget(
    session: AsyncSession, account: Account, *, gateway: GoogleGateway
) -> Revocation | None:
    """Delete the account's connection in the caller's transaction; what to revoke at Google
    afterwards (None: there was no connection). Google is not called here: the caller commits
    first and then calls ``revoke`` with no transaction open (on SQLite an open write
    transaction would hold the database's write lock for as long as Google takes)."""
    connection = await get_connection(session, account.id)
    if connection is None:
        return None
    cipher = TokenCipher.from_settings(gateway.settings)
    secret = connection.refresh_token_encrypted or connection.access_token_encrypted
    token, access_token = (
        _decrypt(cipher, secret),
        _decrypt(cipher, connection.access_token_encrypted),
    )
    channels = []
    for sync in await mirror.syncs_of_account(session, account.id):
        if sync.channel_id is not None and sync.channel_resource_id is not None:
            channels.append((sync.channel_id, sync.channel_resource_id))
        # Notifications are refused from now on, the mirror is stale (bookings ask Google, and
        # say it is not connected), and a reconnect opens a new channel and syncs again.
        sync.channel_id = sync.channel_resource_id = sync.channel_token_hash = None
        sync.channel_expires_at = sync.synced_at = None
    channels += await mirror.pending_unwatches(session, account.id)  # replaced, or orphans
    await session.delete(connection)
    await session.flush()
    return Revocation(token, channels, access_token)


def _decrypt(cipher: TokenCipher, secret: str) -> str | None:
    try:
        return cipher.decrypt(secret)
    except InvalidToken:
        return None


async def revoke(gateway: GoogleGateway, revocation: Revocation | None) -> bool:
    """Revoke a forgotten connection's grant at Google; call it with no transaction open.
    Whether Google confirmed it (True when there was nothing to revoke). A grant Google could
    not be told about stays listed under the user's Google account permissions, where they
    can remove it; the failure is logged."""
    if revocation is None:
        return True
    await _stop_channels(gateway, revocation)
    if revocation.token is None:
        logger.warning("Google grant not revoked: its token could not be decrypted")
        return False
    try:
        await token_endpoint.revoke(gateway, revocation.token)
    except GoogleError as error:
        logger.warning("Google grant not revoked: %s", error.message)
        return False
    return True


async def _stop_channels(gateway: GoogleGateway, revocation: Revocation) -> None:
    """channels.stop for each channel of a forgotten connection; failures are only logged
    (a channel Google still runs ends at its expiration, and its messages are refused)."""
    url = gateway.settings.google_calendar_base_url.rstrip("/") + "/channels/stop"
    for channel_id, resource_id in revocation.channels:
        if revocation.access_token is None:
            break
        try:
            await gateway.send(
                "POST",
                url,
                json={"id": channel_id, "resourceId": resource_id},
                headers={"Authorization": f"Bearer {revocation.access_token}"},
            )
        except GoogleNotFound:
            continue
        except GoogleError as error:
            logger.warning("Google channel %s not stopped: %s", channel_id, error.message)


async def disconnect(database: Database, account_id: int, *, gateway: GoogleGateway) -> bool:
    """Delete the account's connection (a short transaction of its own), then revoke the grant
    at Google with no transaction open. Whether Google confirmed the revocation; the connection
    is deleted either way, so Disconnect always works. Not for use inside an open write
    transaction (on SQLite its own transaction would wait for that one)."""
    async with database.transaction() as session:
        account = await session.get(Account, account_id)
        revocation = None if account is None else await forget(session, account, gateway=gateway)
    return await revoke(gateway, revocation)


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
