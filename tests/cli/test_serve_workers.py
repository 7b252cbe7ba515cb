"""``calbridge serve --workers N``: N server processes on one port, all answering; on SQLite the
outbox worker runs in one of them (a booking's job is done once); SIGTERM stops them all, and
a process that dies alone takes the others down with a failing exit status."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from calbridge.outbox.models import OutboxJob
from tests.cli.test_demo import CALBRIDGE, free_port
from tests.support.api import make_workspace
from tests.support.databases import TestDatabase

pytestmark = pytest.mark.slow


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it has stopped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def text_of(path: Path) -> str:
    return path.read_text()


def serve(test_db: TestDatabase, tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    with (tmp_path / "serve.log").open("wb") as log:
        return subprocess.Popen(
            [str(CALBRIDGE), "serve", "--port", str(port), "--workers", "2"],
            env=test_db.command_env(),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


async def until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as client:
        while True:
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert process.poll() is None, text_of(log)
            assert time.monotonic() < deadline, text_of(log)
            await asyncio.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Whatever the test left running: the server and its processes."""
    for child in children_of(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    if process.poll() is None:
        process.kill()
        process.wait()


async def fresh_get(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url)


async def jobs(test_db: TestDatabase) -> list[tuple[str, int]]:
    """(status, attempts) of every outbox job."""
    async with test_db.database.session(write=False) as session:
        rows = await session.execute(select(OutboxJob.status, OutboxJob.attempts))
        return [(status, attempts) for status, attempts in rows]


async def test_two_processes_serve_one_port_and_stop_together(
    test_db: TestDatabase, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = serve(test_db, tmp_path, port)
    try:
        await until_up(process, url, tmp_path / "serve.log")
        children = children_of(process.pid)
        assert len(children) == 2, children

        async with httpx.AsyncClient(base_url=url) as http:
            ws = await make_workspace(test_db.database, http)
            calendar = await ws.calendar()
            # Fresh connections, many at once: each is accepted by one of the processes.
            answers = await asyncio.gather(*(fresh_get(f"{url}/healthz") for _ in range(20)))
            assert [response.status_code for response in answers] == [200] * 20
            await ws.event(calendar["id"])

        if test_db.kind == "sqlite":  # the worker runs in the first process only
            deadline = time.monotonic() + 30
            while True:
                done = await jobs(test_db)
                if done and all(status == "done" for status, _ in done):
                    break
                assert time.monotonic() < deadline, done
                await asyncio.sleep(0.2)
            assert all(attempts == 1 for _, attempts in done), done

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert not any(alive(child) for child in children)
    finally:
        stop(process)


async def test_a_process_that_dies_stops_the_others(test_db: TestDatabase, tmp_path: Path) -> None:
    port = free_port()
    process = serve(test_db, tmp_path, port)
    try:
        await until_up(process, f"http://127.0.0.1:{port}", tmp_path / "serve.log")
        first, second = children_of(process.pid)
        os.kill(first, signal.SIGKILL)
        assert process.wait(timeout=30) == 1
        for _ in range(100):  # it was sent SIGTERM: give it a moment to finish
            if not alive(second):
                break
            await asyncio.sleep(0.1)
        assert not alive(second)
    finally:
        stop(process)


async def test_the_processes_stop_when_the_server_is_killed(
    test_db: TestDatabase, tmp_path: Path
) -> None:
    port = free_port()
    process = serve(test_db, tmp_path, port)
    try:
        await until_up(process, f"http://127.0.0.1:{port}", tmp_path / "serve.log")
        children = children_of(process.pid)
        assert len(children) == 2
        process.kill()  # no chance to stop them itself
        process.wait()
        for _ in range(200):
            if not any(alive(child) for child in children):
                break
            await asyncio.sleep(0.1)
        assert not any(alive(child) for child in children)
    finally:
        stop(process)
