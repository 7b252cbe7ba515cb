"""With CI=true, an unreachable PostgreSQL fails the run instead of skipping its tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_with_an_unreachable_postgres_fails_the_run() -> None:
    env = {
        **os.environ,
        "CI": "true",
        # Port 9 (discard) on loopback: nothing listens there.
        "CALBRIDGE_TEST_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:9/test",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-p",
            "no:xdist",
            "tests/event/test_smoke.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "PostgreSQL is not reachable" in result.stdout + result.stderr
