"""Encryption at rest of secrets (Google OAuth tokens, webhook signing secrets): Fernet
(AES-128-CBC + HMAC-SHA256) with a key ring. Shared infrastructure, below every domain.

The ring comes from ``settings.encryption_keys`` (comma-separated Fernet keys, newest first),
never from the database. Encryption always uses the newest key; decryption tries every key, so
adding a new key in front keeps old ciphertexts readable until ``calbridge keys rotate``
re-encrypts them, after which the old key can be removed. Outside production, when no key is
set, one is derived from ``secret_key`` (never the published one outside tests: settings.py);
production refuses to start without keys.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from calbridge.settings import Settings

__all__ = ["InvalidToken", "TokenCipher", "generate_key"]


def generate_key() -> str:
    return Fernet.generate_key().decode()


def _derived_key(secret_key: str) -> bytes:
    digest = hashlib.sha256(b"calbridge-token-encryption:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def key_ring(settings: Settings) -> list[bytes]:
    if settings.encryption_keys:
        keys = [key.strip().encode() for key in settings.encryption_keys.split(",")]
        return [key for key in keys if key]
    return [_derived_key(settings.secret_key)]


class TokenCipher:
    """Encrypts and decrypts secrets with the settings' key ring."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("the encryption key ring is empty")
        self._ring = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCipher:
        return cls(key_ring(settings))

    def encrypt(self, plaintext: str) -> str:
        return self._ring.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext; raises ``InvalidToken`` when no key of the ring opens it."""
        return self._ring.decrypt(ciphertext.encode()).decode()

    def rotate(self, ciphertext: str) -> str:
        """The same plaintext, encrypted with the newest key."""
        return self._ring.rotate(ciphertext.encode()).decode()
