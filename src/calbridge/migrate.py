"""Bringing a database to the newest schema, for the CLI and the tests."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config


def alembic_config(database_url: str, schema: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("calbridge") / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["schema"] = schema
    return config


def upgrade(database_url: str, schema: str | None = None) -> None:
    """Runs Alembic's upgrade to head (it runs its own event loop: call from sync code)."""
    command.upgrade(alembic_config(database_url, schema), "head")
