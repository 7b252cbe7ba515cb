"""The README's run command: `make run` is `calbridge dev`; its printed curl must work."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CALBRIDGE = Path(sys.executable).with_name("calbridge")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALBRIDGE_")}
    port = free_port()
    process = subprocess.Popen(
        [str(CALBRIDGE), "dev", "--port", str(port), "--google-port", str(free_port())],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield process, port
    finally:
        stop(process)


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=30)
    if process.stdout is not None:
        process.stdout.close()


def read_banner(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "/calendar'" in line:  # the last curl of the banner
            return "".join(lines)
    raise AssertionError(f"the demo printed no curl: {''.join(lines)!r}")


def run_curl(command: str) -> subprocess.CompletedProcess[str]:
    """Runs the printed curl, retrying while the server is still starting."""
    deadline = time.monotonic() + 60
    while True:
        result = subprocess.run(
            [*shlex.split(command), "--fail-with-body"], capture_output=True, text=True
        )
        if result.returncode == 0 or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def curls(banner: str) -> list[str]:
    return [
        " ".join(found.split())
        for found in re.findall(r"(curl .*?'http://\S+')", banner.replace("\\\n", " "), re.S)
    ]


def run_curl_until(command: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Runs the curl until its JSON satisfies ``done`` (the worker syncs after commit)."""
    deadline = time.monotonic() + 60
    while True:
        result = run_curl(command)
        assert result.returncode == 0, result.stdout + result.stderr
        body: dict[str, Any] = json.loads(result.stdout)
        if done(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


@pytest.mark.slow
def test_run_command_prints_curls_that_show_the_demo_and_its_google_copy(
    demo: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = demo
    banner = read_banner(process)
    assert f"127.0.0.1:{port}" in banner
    events_curl, google_curl = curls(banner)

    page = json.loads(run_curl(events_curl).stdout)
    assert page["total"] == 1
    assert page["items"][0]["title"] == "Intro call"
    assert page["items"][0]["attendees"][0]["name"] == "Alice"

    # The booking reached the local Google emulator through the in-process worker.
    google = run_curl_until(google_curl, lambda body: body["meta"]["total"] == 1)
    assert [entry["title"] for entry in google["data"]] == ["Intro call"]
    synced = run_curl_until(
        events_curl, lambda body: body["items"][0]["googleSyncStatus"] == "synced"
    )
    assert synced["items"][0]["googleEventId"] == google["data"][0]["id"]


@pytest.mark.slow
def test_a_second_start_reuses_the_demo_and_revokes_the_old_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALBRIDGE_")}
    tokens = []
    for _ in range(2):
        port = free_port()
        process = subprocess.Popen(
            [str(CALBRIDGE), "dev", "--port", str(port), "--google-port", str(free_port())],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            banner = read_banner(process)
            token = re.search(r"token:\s+(\S+)", banner)
            assert token
            tokens.append(token.group(1))
            command = curls(banner)[0]
            assert run_curl(command).returncode == 0
            if len(tokens) == 2:
                stale = command.replace(tokens[1], tokens[0])
                result = subprocess.run(
                    [*shlex.split(stale), "-o", "/dev/null", "-w", "%{http_code}"],
                    capture_output=True,
                    text=True,
                )
                assert result.stdout == "401"
                page = run_curl(command).stdout
                assert '"total":1' in page  # the demo was reused, not created twice
        finally:
            stop(process)
