"""One outbox worker in a process of its own, for the test that SIGKILLs it mid-delivery.

python -m tests.rules.worker_process DATABASE_URL [SCHEMA]
"""

from __future__ import annotations

import asyncio
import sys

from calbridge.db import Database
from calbridge.jobs import registry
from calbridge.outbox.worker import Worker
from calbridge.services import Services
from calbridge.settings import Settings


async def main(url: str, schema: str | None) -> None:
    settings = Settings(
        environment="test",
        database_url=url,
        database_schema=schema,
        worker_poll_seconds=0.05,
        worker_lease_seconds=30.0,
        webhook_timeout_seconds=120.0,
        webhook_allowed_private_hosts=["127.0.0.1"],
    )
    services = Services.build(settings, database=Database(url, schema=schema))
    await Worker(services, registry(), name="doomed-worker").run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
