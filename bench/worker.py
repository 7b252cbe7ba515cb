"""Outbox workers in processes of their own, for the benchmarks that time them.

``python -m bench.worker URL SCHEMA NAME POLL [GOOGLE]`` runs one ``calbridge.outbox.worker.Worker``
on the database (default settings, read from the environment, but the given poll interval and
quiet logs) until SIGTERM. With GOOGLE, its Google jobs go to that base URL (the emulator); the
event rules' jobs always use the same settings, so ``CALBRIDGE_WEBHOOK_ALLOWED_PRIVATE_HOSTS``
in the process's environment lets webhooks reach a receiver on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bench.databases import SECRET_KEY, BenchDatabase
from calbridge.jobs import registry
from calbridge.outbox.worker import Worker
from calbridge.services import Services
from calbridge.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
STOP_SECONDS = 10.0


def worker_settings(database: BenchDatabase, poll: float, google: str | None = None) -> Settings:
    """Settings for a worker (or a committer) on ``database``; with ``google``, Google calls go
    to that base URL with the emulator's development client."""
    if google is None:
        return Settings(
            environment="test",
            secret_key=SECRET_KEY,
            database_url=database.url,
            database_schema=database.schema,
            worker_poll_seconds=poll,
            log_level="ERROR",
        )
    # A new Settings, not a copy: google_base_url derives the other Google URLs when validated.
    return Settings(
        environment="test",
        secret_key=SECRET_KEY,
        database_url=database.url,
        database_schema=database.schema,
        worker_poll_seconds=poll,
        log_level="ERROR",
        google_base_url=google,
        google_client_id="calbridge-dev",
        google_client_secret="calbridge-dev-secret",
    )


async def start_workers(
    database: BenchDatabase,
    count: int,
    poll: float,
    *,
    google: str | None = None,
    env: dict[str, str] | None = None,
) -> list[asyncio.subprocess.Process]:
    """``count`` worker processes named ``bench-0``, ``bench-1``…; ``env`` is added to ours."""
    extra = [google] if google is not None else []
    processes = []
    for index in range(count):
        processes.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.worker",
                database.url,
                database.schema or "",
                f"bench-{index}",
                str(poll),
                *extra,
                cwd=ROOT,
                env={**os.environ, **(env or {})},
            )
        )
    return processes


async def stop_workers(processes: list[asyncio.subprocess.Process]) -> None:
    """SIGTERM (the worker finishes the job in hand), then SIGKILL after STOP_SECONDS."""
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            async with asyncio.timeout(STOP_SECONDS):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


async def main(url: str, schema: str | None, name: str, poll: float, google: str | None) -> None:
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    database = BenchDatabase(kind, url, schema)
    settings = worker_settings(database, poll, google)
    services = Services.build(settings, database=database.connect())
    worker = Worker(services, registry(), name=name)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(worker.stop()))
    await worker.run()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    asyncio.run(
        main(
            arguments[0],
            arguments[1] or None,
            arguments[2],
            float(arguments[3]),
            arguments[4] if len(arguments) > 4 else None,
        )
    )
