"""Serving an app for a measurement: uvicorn in a subprocess (one worker, no access log) on a
free port of 127.0.0.1, pointed at a database through the environment."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

from calbridge.app import create_app
from calbridge.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
APP = "bench.server:real_app"
FLOOR = "bench.floor:floor_app"
STARTUP_SECONDS = 60.0


def real_app() -> FastAPI:
    """The real service, as ``uvicorn --factory`` builds it (settings from the environment)."""
    return create_app(Settings())


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def serve(factory: str, env: dict[str, str]) -> AsyncIterator[Server]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )
    server = Server(f"http://127.0.0.1:{port}", process.pid)
    try:
        await _wait_until_up(server, process)
        yield server
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _wait_until_up(server: Server, process: asyncio.subprocess.Process) -> None:
    deadline = asyncio.get_running_loop().time() + STARTUP_SECONDS
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"the server exited with {process.returncode} at startup")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"the server did not answer within {STARTUP_SECONDS}s")
            await asyncio.sleep(0.1)
