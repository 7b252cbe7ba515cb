"""Identifiers: Google's event-id alphabet and opaque random tokens."""

from __future__ import annotations

import re
import secrets

BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
_EVENT_ID = re.compile(r"^[0-9a-v]{5,1024}$")


def is_valid_event_id(value: str) -> bool:
    """Google accepts client ids in lowercase base32hex (a-v, 0-9), 5 to 1024 characters."""
    return bool(_EVENT_ID.match(value))


def new_event_id() -> str:
    return "".join(secrets.choice(BASE32HEX) for _ in range(26))


def new_token(prefix: str) -> str:
    """A random token with Google's look (`ya29.` access, `1//` refresh, `4/` code)."""
    return prefix + secrets.token_urlsafe(32)


def new_numeric_id() -> str:
    return str(10**20 + secrets.randbelow(9 * 10**20))


def new_resource_id() -> str:
    """An opaque id like Google's push `resourceId`s (lowercase letters and digits)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(27))
