"""All configuration, read once from the environment (prefix ``CALBRIDGE_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALBRIDGE_", env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite+aiosqlite:///./calbridge.db"
    # PostgreSQL only: a schema to use instead of the default search path (tests isolate runs).
    database_schema: str | None = None
    secret_key: str = DEVELOPMENT_SECRET_KEY
    log_level: str = "INFO"

    max_body_bytes: int = 1024 * 1024
    idempotency_ttl_seconds: int = 24 * 3600
    # A request still marked in progress after this long is taken to have died with its process.
    idempotency_lock_seconds: int = 300

    worker_poll_seconds: float = 1.0
    worker_lease_seconds: float = 60.0
    worker_batch_size: int = 20
    # Done jobs are kept this long (for the panel and debugging), then deleted by the worker.
    job_retention_hours: float = 168.0
    job_backoff_base_seconds: float = 2.0
    job_backoff_max_seconds: float = 3600.0

    # Google (docs/google.md). Setting google_base_url points every Google endpoint at one
    # server with the emulator's layout (e.g. http://127.0.0.1:8090); explicit URLs still win.
    google_base_url: str | None = None
    google_client_id: str = ""
    google_client_secret: str = ""
    google_redirect_uri: str = "http://127.0.0.1:8000/google/oauth/callback"
    google_scopes: str = "openid email https://www.googleapis.com/auth/calendar"
    google_auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_token_url: str = "https://oauth2.googleapis.com/token"
    google_revoke_url: str = "https://oauth2.googleapis.com/revoke"
    google_userinfo_url: str = "https://openidconnect.googleapis.com/v1/userinfo"
    google_calendar_base_url: str = "https://www.googleapis.com/calendar/v3"
    google_timeout_seconds: float = 10.0
    # Retries of one call inside an API request (so at most 1 + this many attempts).
    google_request_retries: int = 2
    google_retry_backoff_seconds: float = 0.25
    google_conflict_check_timeout_seconds: float = 5.0  # whole googleConflictCheck, no retries
    # An access token this close to its expiry is refreshed before use.
    google_refresh_margin_seconds: float = 120.0
    google_oauth_state_ttl_seconds: int = 600
    # Comma-separated Fernet keys, newest first (docs/google.md). Unset in development and
    # test: one key derived from secret_key. Required in production.
    encryption_keys: str | None = None

    # Event rules (docs in src/calbridge/rules/). Email actions go out through this SMTP server;
    # smtp_tls is "none", "starttls" or "ssl" (implicit TLS, usually port 465).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "calbridge@localhost"
    smtp_timeout_seconds: float = 30.0
    webhook_timeout_seconds: float = 10.0
    # Hosts (exactly as written in a webhook URL) that may resolve to private or loopback
    # addresses, for people who deliberately post into their own network. Empty by default.
    webhook_allowed_private_hosts: list[str] = []

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET_KEY:
            raise ValueError("CALBRIDGE_SECRET_KEY must be set outside development")
        if self.environment == "production" and not self.encryption_keys:
            raise ValueError("CALBRIDGE_ENCRYPTION_KEYS must be set in production")
        return self

    @model_validator(mode="after")
    def _google_base_url(self) -> Settings:
        if self.google_base_url:
            base = self.google_base_url.rstrip("/")
            derived = {
                "google_auth_url": f"{base}/o/oauth2/v2/auth",
                "google_token_url": f"{base}/token",
                "google_revoke_url": f"{base}/revoke",
                "google_userinfo_url": f"{base}/oauth2/v3/userinfo",
                "google_calendar_base_url": f"{base}/calendar/v3",
            }
            for name, url in derived.items():
                if name not in self.model_fields_set:
                    setattr(self, name, url)
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
