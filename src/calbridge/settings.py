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
    job_max_attempts: int = 8
    job_backoff_base_seconds: float = 2.0
    job_backoff_max_seconds: float = 3600.0

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET_KEY:
            raise ValueError("CALBRIDGE_SECRET_KEY must be set outside development")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
