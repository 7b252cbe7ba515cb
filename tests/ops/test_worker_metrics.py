"""``calbridge worker --metrics-port``: a worker running apart from ``serve`` can be scraped for
its own counters (with the bearer when CALBRIDGE_METRICS_TOKEN is set), and stops with SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase
from tests.support.metrics import Samples, scrape, value

CALBRIDGE = Path(sys.executable).with_name("calbridge")
TOKEN = "worker-scrape-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_standalone_worker_serves_its_own_metrics(
    test_db: TestDatabase, ws: WorkspaceFixture, tmp_path: Path
) -> None:
    port = free_port()
    env = test_db.command_env() | {"CALBRIDGE_METRICS_TOKEN": TOKEN}
    with (tmp_path / "worker.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(CALBRIDGE),
            "worker",
            "--poll",
            "0.05",
            "--metrics-port",
            str(port),
            env=env,
            stderr=log,
        )
    try:
        await ws.event((await ws.calendar())["id"])
        finished = "calbridge_jobs_finished_total"
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http,
            asyncio.timeout(30),
        ):
            samples: Samples = {}
            while not value(samples, finished, kind="event.changed", outcome="done"):
                await asyncio.sleep(0.1)
                try:
                    samples = await scrape(http, token=TOKEN)
                except httpx.ConnectError:
                    assert process.returncode is None, (tmp_path / "worker.log").read_text()
            # Read again: the gauges come from the database, which the counter may have outrun.
            samples = await scrape(http, token=TOKEN)
            refused = await http.get("/metrics")
        assert refused.status_code == 401
        assert refused.json()["code"] == "unauthenticated"
        assert value(samples, "calbridge_outbox_jobs", kind="event.changed", status="done") == 1
        os.kill(process.pid, signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))  # the port was freed
    log_text = (tmp_path / "worker.log").read_text()
    assert " started " in log_text and " stopped" in log_text
