"""An outbox worker in a process of its own, syncing to an emulator over HTTP; the chaos test
SIGKILLs it again and again.

python -m tests.google_sync.worker_process DATABASE_URL SCHEMA GOOGLE_BASE_URL NAME
"""

from __future__ import annotations

import asyncio
import logging
import sys

from calbridge.db import Database
from calbridge.jobs import registry
from calbridge.outbox.worker import Worker
from calbridge.services import Services
from calbridge.settings import Settings


def worker_settings(url: str, schema: str | None, google: str) -> Settings:
    return Settings(
        environment="test",
        database_url=url,
        database_schema=schema,
        google_base_url=google,
        google_client_id="calbridge-dev",
        google_client_secret="calbridge-dev-secret",
        google_request_retries=1,
        google_retry_backoff_seconds=0.01,
        google_timeout_seconds=3.0,
        worker_poll_seconds=0.05,
        worker_lease_seconds=3.0,
        job_backoff_base_seconds=0.05,
        job_backoff_max_seconds=0.5,
    )


async def main(url: str, schema: str | None, google: str, name: str) -> None:
    logging.basicConfig(level=logging.ERROR)
    settings = worker_settings(url, schema, google)
    services = Services.build(settings, database=Database(url, schema=schema))
    await Worker(services, registry(), name=name).run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] or None, sys.argv[3], sys.argv[4]))
