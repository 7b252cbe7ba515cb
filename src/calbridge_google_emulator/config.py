"""Emulator settings and its adjustable clock."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

DEFAULT_CLIENT_ID = "calbridge-dev"
DEFAULT_CLIENT_SECRET = "calbridge-dev-secret"
DEFAULT_USER_EMAIL = "testuser@example.com"

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
EMAIL_SCOPE = "https://www.googleapis.com/auth/userinfo.email"
PROFILE_SCOPE = "https://www.googleapis.com/auth/userinfo.profile"
FULL_SCOPES = ("openid", EMAIL_SCOPE, PROFILE_SCOPE, CALENDAR_SCOPE)


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything a test or the console script may set when it starts an emulator.

    `redirect_uris` empty means every redirect URI is accepted (Google requires them to be
    registered; tests rarely care). `static_access_tokens` never expire and belong to
    `user_email`; they survive `reset`.
    """

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    user_email: str = DEFAULT_USER_EMAIL
    user_name: str = "Test User"
    time_zone: str = "UTC"
    access_token_ttl: int = 3600
    auth_code_ttl: int = 600
    redirect_uris: tuple[str, ...] = ()
    auto_approve: bool = False
    static_access_tokens: tuple[str, ...] = field(default_factory=tuple)
    # Waits before each retry of a push notification answered 5xx or not at all.
    notification_retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0)


class Clock:
    """Wall time plus an offset that tests move forward to expire tokens without sleeping."""

    def __init__(self) -> None:
        self.offset_seconds = 0.0

    def time(self) -> float:
        return time.time() + self.offset_seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> None:
        self.offset_seconds += seconds
