"""The README's run command: `make run` is `calbridge dev`; its printed curl must work."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from calbridge.admin.service import authenticate
from calbridge.cli.demo import ADMIN_EMAIL
from calbridge.db import Database

CALBRIDGE = Path(sys.executable).with_name("calbridge")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_demo(
    cwd: Path, port: int | None = None, google_port: int | None = None, *, errors: bool = False
) -> subprocess.Popen[str]:
    """``calbridge dev`` in a process group of its own (so the test can tell whether anything
    it started outlives it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALBRIDGE_")}
    command = [str(CALBRIDGE), "dev", "--port", str(port or free_port())]
    command += ["--google-port", str(google_port or free_port())]
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        # Only a demo expected to fail at once has its stderr read: a full pipe would block one.
        stderr=subprocess.PIPE if errors else subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    process = start_demo(tmp_path, port)
    try:
        yield process, port
    finally:
        assert not stop(process).leaked


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass(frozen=True)
class Ended:
    code: int
    leaked: bool  # a process the demo started outlived it (killed here)


def stop(process: subprocess.Popen[str], signum: int = signal.SIGTERM) -> Ended:
    """Signal the demo, wait for it, and kill whatever it started that outlives it (the suite
    must leave no emulator running, even when a test fails), saying whether anything did."""
    if process.poll() is None:
        os.kill(process.pid, signum)
    try:
        code = process.wait(timeout=30)
    finally:
        deadline = time.monotonic() + 15
        while group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        leaked = group_alive(process.pid)
        if leaked:
            os.killpg(process.pid, signal.SIGKILL)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    return Ended(code, leaked)


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
    tokens = []
    for _ in range(2):
        process = start_demo(tmp_path)
        try:
            banner = read_banner(process)
            token = re.search(r"token:\s+(\S+)", banner)
            assert token
            tokens.append(token.group(1))
            command = curls(banner)[0]
            assert run_curl(command).returncode == 0
            if len(tokens) == 2:
                assert http_code(command.replace(tokens[1], tokens[0])) == "401"
                page = run_curl(command).stdout
                assert '"total":1' in page  # the demo was reused, not created twice
        finally:
            assert not stop(process).leaked


def http_code(command: str) -> str:
    result = subprocess.run(
        [*shlex.split(command), "-o", "/dev/null", "-w", "%{http_code}"],
        capture_output=True,
        text=True,
    )
    return result.stdout


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_stops_the_demo_and_its_emulator_and_frees_both_ports(
    tmp_path: Path, signum: int
) -> None:
    port, google_port = free_port(), free_port()
    process = start_demo(tmp_path, port, google_port)
    try:
        banner = read_banner(process)
        assert run_curl(curls(banner)[0]).returncode == 0  # serving, the emulator running
    finally:
        ended = stop(process, signum)  # only the demo's own process is signalled
    assert ended == Ended(code=0, leaked=False)
    assert port_free(port)
    assert port_free(google_port)


def admin_password(banner: str) -> str:
    found = re.search(r"admin:\s+\S+\s+—\s+\S+ / (\S+)", banner)
    assert found, banner
    return found.group(1)


async def signs_in(database_file: Path, password: str) -> bool:
    db = Database(f"sqlite+aiosqlite:///{database_file}")
    try:
        async with db.session(write=False) as session:
            user = await authenticate(session, email=ADMIN_EMAIL, password=password)
    finally:
        await db.dispose()
    return user is not None


@pytest.mark.slow
async def test_a_second_demo_fails_before_changing_anything(tmp_path: Path) -> None:
    port, google_port = free_port(), free_port()
    first = start_demo(tmp_path, port, google_port)
    try:
        banner = await asyncio.to_thread(read_banner, first)
        command = curls(banner)[0]
        assert (await asyncio.to_thread(run_curl, command)).returncode == 0

        # The same directory (so the same database), other ports: the lock refuses it.
        second = start_demo(tmp_path, errors=True)
        _, second_err = await asyncio.to_thread(second.communicate, timeout=60)
        assert second.returncode != 0
        assert "another calbridge dev" in second_err
        # The same ports, another directory: the ports refuse it, before a database is made.
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        third = start_demo(elsewhere, port, google_port, errors=True)
        _, third_err = await asyncio.to_thread(third.communicate, timeout=60)
        assert third.returncode != 0
        assert f"127.0.0.1:{port}" in third_err
        assert not (elsewhere / "calbridge.db").exists()

        # The running demo's token and admin password still work.
        assert await asyncio.to_thread(http_code, command) == "200"
        assert await signs_in(tmp_path / "calbridge.db", admin_password(banner))
    finally:
        assert (await asyncio.to_thread(stop, first)).leaked is False


@pytest.mark.slow
def test_after_a_restart_the_google_curl_shows_the_booking(tmp_path: Path) -> None:
    for start in ("first", "restart"):
        process = start_demo(tmp_path)
        try:
            banner = read_banner(process)
            events_curl, google_curl = curls(banner)
            google = run_curl_until(google_curl, lambda body: body["meta"]["total"] == 1)
            assert [entry["title"] for entry in google["data"]] == ["Intro call"], start
            synced = run_curl_until(
                events_curl, lambda body: body["items"][0]["googleSyncStatus"] == "synced"
            )
            assert synced["items"][0]["googleEventId"] == google["data"][0]["id"]
        finally:
            assert stop(process) == Ended(code=0, leaked=False)
