"""Readiness: the database answers, its schema is the newest, and the in-process worker, if
any, is alive."""

from __future__ import annotations

import asyncio
from typing import Any

from calbridge.db import Database
from calbridge.ops.schema import schema_state

DATABASE_TIMEOUT_SECONDS = 5.0
OK = "ok"
NO_WORKER = "none in this process"
PASSING = {OK, NO_WORKER}


async def readiness(
    database: Database, schema: str | None, worker: asyncio.Task[Any] | None
) -> dict[str, str]:
    """Each check's verdict: "ok", or a short line naming what is wrong."""
    checks = {"database": OK, "schema": OK, "worker": OK}
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
            state = await schema_state(database, schema)
    except Exception as error:
        checks["database"] = f"unreachable: {type(error).__name__}: {error}"[:300]
        checks["schema"] = "unknown (the database did not answer)"
    else:
        checks["schema"] = state.describe()
    if worker is None:
        checks["worker"] = NO_WORKER
    elif worker.done():
        checks["worker"] = "stopped"
    return checks
