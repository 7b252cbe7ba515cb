"""Settings refuse what would be unsafe outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from calbridge.settings import DEVELOPMENT_SECRET_KEY, Settings


def test_production_refuses_the_development_secret_key() -> None:
    with pytest.raises(ValidationError, match="CALBRIDGE_SECRET_KEY"):
        Settings(environment="production", encryption_keys="k")
    Settings(environment="production", secret_key="s" * 40, encryption_keys="k")


def test_development_runs_on_the_development_key() -> None:
    assert Settings(environment="development").secret_key == DEVELOPMENT_SECRET_KEY
