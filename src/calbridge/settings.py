"""All configuration, read once from the environment (prefix ``CALBRIDGE_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from calbridge import secret_file

# Published (it is in the source): accepted by the test environment only.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me"


class ConfigurationError(Exception):
    """Settings that cannot be used: one line per problem, naming the variable, never its value."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALBRIDGE_", env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite+aiosqlite:///./calbridge.db"
    # PostgreSQL only: a schema to use instead of the default search path (tests isolate runs).
    database_schema: str | None = None
    # Signs admin sessions (and, with no encryption_keys, derives the token key). Unset: tests
    # use the development key; everything else generates one beside the SQLite database
    # (secret_file.py) or, on PostgreSQL, refuses to start.
    secret_key: str = Field(default="", validate_default=True)
    log_level: str = "INFO"
    # "text": one line per event; "json": one JSON object per line (CONTRACT §6).
    log_format: Literal["text", "json"] = "text"
    # When set, GET /metrics needs "Authorization: Bearer <this>".
    metrics_token: str | None = None

    max_body_bytes: int = 1024 * 1024
    # The embedded server's limits on slow and large requests (server.py, docs/decisions.md).
    http_header_timeout_seconds: float = Field(default=10.0, gt=0)
    http_body_timeout_seconds: float = Field(default=30.0, gt=0)
    http_max_header_bytes: int = Field(default=64 * 1024, ge=8 * 1024)
    http_max_connections: int = Field(default=1000, ge=1)
    # Browser origins (a JSON list, e.g. ["https://app.example.com"]) that may call the API
    # from their pages (CORS). Empty: no grant, the browser's same-origin rule stands.
    cors_origins: list[str] = []
    idempotency_ttl_seconds: int = 24 * 3600
    # A request still marked in progress after this long is taken to have died with its process.
    idempotency_lock_seconds: int = 300

    worker_poll_seconds: float = 1.0
    worker_lease_seconds: float = 60.0
    worker_batch_size: int = 20
    worker_schedule_seconds: float = 15.0  # how often a worker runs the periodic functions
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
    # The mirror of linked calendars (docs/google.md, "Two-way sync"). The public URL of
    # POST /google/notifications that Google pushes to; unset: no channels, polling only.
    google_push_address: str | None = None
    google_poll_seconds: float = 300.0  # each linked calendar is synced at least this often
    # The mirror stands in for a live Google call while its last sync is at most this old.
    google_mirror_max_age_seconds: float = 900.0
    google_channel_ttl_seconds: int = 7 * 24 * 3600
    google_channel_renew_seconds: float = 24 * 3600.0  # renewed when less than this is left
    # Comma-separated Fernet keys, newest first (docs/google.md). Unset in development and
    # test: one key derived from secret_key. Required in production.
    encryption_keys: str | None = Field(default=None, validate_default=True)

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

    @field_validator("secret_key")
    @classmethod
    def _secret_key(cls, value: str, info: ValidationInfo) -> str:
        environment = info.data.get("environment")
        if environment == "test":
            return value or DEVELOPMENT_SECRET_KEY
        if value == DEVELOPMENT_SECRET_KEY:
            raise ValueError("is the published development key; set a secret of your own")
        if value or "database_url" not in info.data:
            return value  # (a bad database URL is reported on its own)
        return secret_file.load_or_create(info.data["database_url"])

    @field_validator("encryption_keys")
    @classmethod
    def _encryption_keys(cls, value: str | None, info: ValidationInfo) -> str | None:
        keys = [key.strip() for key in (value or "").split(",") if key.strip()]
        if not keys and info.data.get("environment") == "production":
            raise ValueError("must be set in production")
        for number, key in enumerate(keys, start=1):
            try:
                Fernet(key)
            except ValueError:
                raise ValueError(
                    f"key {number} of {len(keys)} is not a Fernet key (32 bytes in url-safe "
                    "base64; `calbridge keys generate` makes one)"
                ) from None
        return value

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


def problems_of(error: ValidationError) -> list[str]:
    """One line per problem: the variable and what is wrong, never the value given."""
    lines = []
    for problem in error.errors(include_url=False, include_input=False, include_context=False):
        where = "CALBRIDGE_" + str(problem["loc"][0]).upper() if problem["loc"] else "settings"
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"configuration error: {where} {message}")
    return lines


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigurationError(problems_of(error)) from None
