"""`make run` on a fresh clone installs the runtime dependencies only (no `dev` extra), and the
demo it starts works with nothing else: every installed package that only the `dev` extra brings
is made unimportable (a `sitecustomize` in each of the demo's Python processes) and the demo's
curls must still work."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.cli.test_demo import curls, read_banner, run_curl, run_curl_until, start_demo, stop

ROOT = Path(__file__).resolve().parents[2]
# What a fresh venv holds before anything is installed into it.
VENV_OWN = {"pip", "setuptools", "_distutils_hack", "pkg_resources"}

BLOCKER = """
import importlib.abc
import sys

BLOCKED = frozenset({blocked!r})


class DevOnly(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"{{name}} comes only with the dev extra", name=name)
        return None


sys.meta_path.insert(0, DevOnly())
"""


def runtime_distributions() -> set[str]:
    """The distributions `pip install -e .` brings: pyproject's dependencies, transitively."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(text) for text in project["dependencies"]]
    seen: set[tuple[str, str]] = set()  # (distribution, extra): `sqlalchemy[asyncio]` adds greenlet
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        for extra in requirement.extras | {""}:
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            for text in metadata.requires(requirement.name) or []:
                needed = Requirement(text)
                if needed.marker is None or needed.marker.evaluate({"extra": extra}):
                    wanted.append(needed)
    return {name for name, _ in seen}


def dev_only_modules() -> set[str]:
    runtime = runtime_distributions()
    return {
        module
        for module, distributions in metadata.packages_distributions().items()
        if module not in VENV_OWN
        and not any(canonicalize_name(d) in runtime for d in distributions)
        and not any(canonicalize_name(d) == "calbridge" for d in distributions)
    }


def test_make_run_installs_no_dev_extra_and_make_test_does(tmp_path: Path) -> None:
    venv = f"VENV={tmp_path / '.venv'}"
    run = subprocess.run(["make", "-n", "run", venv], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    packages = [line for line in run.stdout.splitlines() if " install " in line and "-e" in line]
    assert [line.rsplit(" ", 1)[1] for line in packages] == ["."], run.stdout
    assert "[dev]" not in run.stdout

    test = subprocess.run(["make", "-n", "test", venv], cwd=ROOT, capture_output=True, text=True)
    assert "-e '.[dev]'" in test.stdout


def test_the_blocker_blocks_the_dev_tools() -> None:
    blocked = dev_only_modules()
    assert {"pytest", "hypothesis", "playwright", "schemathesis", "aiosmtpd"} <= blocked
    assert not {"fastapi", "sqlalchemy", "uvicorn", "httpx", "calbridge"} & blocked


@pytest.mark.slow
def test_the_demo_works_without_any_dev_only_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(BLOCKER.format(blocked=sorted(dev_only_modules())))
    check = subprocess.run(
        [sys.executable, "-c", "import pytest"],
        env={**os.environ, "PYTHONPATH": str(hooks)},
        capture_output=True,
        text=True,
    )
    assert "comes only with the dev extra" in check.stderr  # the blocker is in force

    paths = [str(hooks), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    process = start_demo(tmp_path)
    try:
        banner = read_banner(process)
        events_curl, google_curl = curls(banner)
        assert run_curl(events_curl).returncode == 0
        google = run_curl_until(google_curl, lambda body: body["meta"]["total"] == 1)
        assert [entry["title"] for entry in google["data"]] == ["Intro call"]
    finally:
        assert not stop(process).leaked
