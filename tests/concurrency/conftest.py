"""A real calbridge server for the concurrency tests: uvicorn in a subprocess on 127.0.0.1,
against the test database, with a workspace, an all-scopes token and a calendar made beforehand."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from asyncio.subprocess import Process
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import text

from calbridge.auth.scopes import ALL_SCOPES
from calbridge.auth.service import create_token
from calbridge.calendar.schemas import CalendarCreate
from calbridge.calendar.service import create_calendar
from calbridge.workspace.service import create_workspace
from tests.support.databases import TestDatabase

ROOT = Path(__file__).resolve().parents[2]
# Generous: the machine is small and shared; these bound a hang, they measure nothing.
STARTUP_TIMEOUT = 60.0
REQUEST_TIMEOUT = 120.0

T = TypeVar("T")


@dataclass
class LiveServer:
    base_url: str
    workspace_uuid: str
    token: str
    calendar_id: int
    test_db: TestDatabase

    def url(self, path: str) -> str:
        return f"{self.base_url}/api/v2/w/{self.workspace_uuid}{path}"

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json", **extra}

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.test_db.database.session(write=False) as session:
            return await session.scalar(text(sql), params)

    async def overlapping_pairs(self) -> list[tuple[int, int]]:
        """Pairs of live events of the calendar that share an instant, straight from SQL."""
        async with self.test_db.database.session(write=False) as session:
            rows = await session.execute(
                text(
                    "SELECT a.id, b.id FROM events a JOIN events b"
                    " ON a.calendar_id = b.calendar_id AND a.id < b.id"
                    " AND a.start_at < b.end_at AND b.start_at < a.end_at"
                    " WHERE a.calendar_id = :calendar_id"
                    " AND a.status <> 'cancelled' AND b.status <> 'cancelled'"
                ),
                {"calendar_id": self.calendar_id},
            )
            return [(row[0], row[1]) for row in rows]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _wait_ready(process: Process, base_url: str, log: Path) -> None:
    """Polls /healthz until it answers 200; fails if the process exits or the time runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_TIMEOUT
    async with httpx.AsyncClient(base_url=base_url, timeout=5.0) as client:
        while loop.time() < deadline:
            if process.returncode is not None:
                output = await asyncio.to_thread(log.read_text)
                raise RuntimeError(f"uvicorn exited with {process.returncode}:\n{output}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    output = await asyncio.to_thread(log.read_text)
    raise RuntimeError(f"uvicorn did not become ready in {STARTUP_TIMEOUT}s:\n{output}")


async def _stop(process: Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


@asynccontextmanager
async def serve(
    test_db: TestDatabase,
    tmp_path: Path,
    factory: str = "create",
    *,
    embedded: bool = False,
    env_extra: dict[str, str] | None = None,
) -> AsyncIterator[LiveServer]:
    """uvicorn in a subprocess, serving ``tests.concurrency.server_app:<factory>``; with
    ``embedded``, as ``calbridge serve`` runs it (``calbridge.server``, with its limits)."""
    async with test_db.database.transaction() as session:
        workspace = await create_workspace(session, name="Race Co", timezone="Europe/Amsterdam")
        token = await create_token(session, workspace, scopes=list(ALL_SCOPES), name="race")
        calendar = await create_calendar(
            session, workspace, CalendarCreate(name="Room A", timezone="Europe/Amsterdam")
        )
        ids = (workspace.uuid, token.secret, calendar.id)

    env = {
        **os.environ,
        "CALBRIDGE_DATABASE_URL": test_db.url,
        "CALBRIDGE_ENVIRONMENT": "test",
        **(env_extra or {}),
    }
    env.pop("CALBRIDGE_DATABASE_SCHEMA", None)
    if test_db.schema is not None:
        env["CALBRIDGE_DATABASE_SCHEMA"] = test_db.schema
    log = tmp_path / "uvicorn.log"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        f"tests.concurrency.server_app:{factory}",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    if embedded:
        command = [sys.executable, "-m", "tests.concurrency.embedded_server", factory, str(port)]
    log_file = await asyncio.to_thread(log.open, "wb")
    try:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=env, stdout=log_file, stderr=asyncio.subprocess.STDOUT
        )
    finally:
        log_file.close()
    try:
        await _wait_ready(process, base_url, log)
        yield LiveServer(base_url, ids[0], ids[1], ids[2], test_db)
    finally:
        await _stop(process)


@pytest.fixture
async def live_server(test_db: TestDatabase, tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(test_db, tmp_path) as server:
        yield server


async def all_at_once(
    server: LiveServer, count: int, request: Callable[[httpx.AsyncClient, int], Awaitable[T]]
) -> list[T]:
    """Runs ``request(client, i)`` for i in range(count), each client on its own connection.

    Every client first opens its connection (a GET /healthz), then waits at a barrier, so the
    requests under test leave together rather than trickling out as clients connect.
    """
    barrier = asyncio.Barrier(count)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def one(index: int) -> T:
        async with httpx.AsyncClient(
            base_url=server.base_url, timeout=REQUEST_TIMEOUT, limits=limits
        ) as client:
            warm = await client.get("/healthz")
            assert warm.status_code == 200
            await barrier.wait()
            return await request(client, index)

    # A TaskGroup cancels the others should one fail, so nobody waits at the barrier forever.
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(index)) for index in range(count)]
    return [task.result() for task in tasks]
