"""The access token of one connection: decrypted in memory, refreshed shortly before expiry.

Writes (a refreshed token, or the ``broken`` mark after ``invalid_grant``) go to the database in
short transactions of their own, because they must last whatever happens to the caller's
request: a refreshed token is worth keeping even if the Calendar call then fails, and a broken
connection stays broken even though the request that found out answers with an error.

On SQLite this means: never hold a write transaction while calling Google through these
credentials (the own transaction would wait for it). The account calendar API reads what it
needs first and closes its session before it calls Google.
"""

from __future__ import annotations

from datetime import timedelta

from calbridge.crypto import TokenCipher
from calbridge.db import Database, utcnow
from calbridge.google import connections, token_endpoint
from calbridge.google.errors import GoogleGrantRevoked
from calbridge.google.gateway import GoogleGateway
from calbridge.google.models import GoogleConnection


class ConnectionCredentials:
    def __init__(
        self,
        gateway: GoogleGateway,
        database: Database,
        connection: GoogleConnection,
        *,
        retries: int | None = None,
    ) -> None:
        self.gateway = gateway
        self.database = database
        self.connection_id = connection.id
        self.cipher = TokenCipher.from_settings(gateway.settings)
        self._access_token = self.cipher.decrypt(connection.access_token_encrypted)
        self._expires_at = connection.expires_at
        self._refresh_ciphertext = connection.refresh_token_encrypted
        self._retries = retries

    def _expiring(self) -> bool:
        if self._expires_at is None:
            return False
        margin = timedelta(seconds=self.gateway.settings.google_refresh_margin_seconds)
        return self._expires_at - margin <= utcnow()

    async def access_token(self) -> str:
        """A usable access token, refreshed first if it expires within the margin."""
        if self._expiring():
            await self.refresh()
        return self._access_token

    async def refresh(self) -> str:
        """A new access token from the refresh token, stored encrypted. On ``invalid_grant``
        (or no refresh token at all) the connection is marked broken and
        ``GoogleGrantRevoked`` raised."""
        if self._refresh_ciphertext is None:
            await self._mark_broken("No refresh token was granted; reconnect the account.")
            raise GoogleGrantRevoked("no refresh token", reason="invalid_grant")
        refresh_token = self.cipher.decrypt(self._refresh_ciphertext)
        try:
            grant = await token_endpoint.refresh(self.gateway, refresh_token, self._retries)
        except GoogleGrantRevoked as error:
            await self._mark_broken(f"Google refused the refresh token: {error.message}")
            raise
        values: dict[str, object] = {
            "access_token_encrypted": self.cipher.encrypt(grant.access_token),
            "expires_at": grant.expires_at,
            "updated_at": utcnow(),
        }
        if grant.refresh_token:
            values["refresh_token_encrypted"] = self.cipher.encrypt(grant.refresh_token)
        async with self.database.transaction() as session:
            await connections.save_refreshed(
                session, self.connection_id, self._refresh_ciphertext, values
            )
        self._access_token = grant.access_token
        self._expires_at = grant.expires_at
        if grant.refresh_token:
            self._refresh_ciphertext = str(values["refresh_token_encrypted"])
        return self._access_token

    async def _mark_broken(self, error: str) -> None:
        async with self.database.transaction() as session:
            await connections.mark_broken(
                session, self.connection_id, self._refresh_ciphertext, error
            )
