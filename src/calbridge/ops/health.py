"""``/healthz`` (the process serves) and ``/readyz`` (it can do its work: the database answers,
its schema is the newest, and the in-process worker, if any, is alive)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from calbridge.db import Database
from calbridge.ops.schema import schema_state

DATABASE_TIMEOUT_SECONDS = 5.0
OK = "ok"
NO_WORKER = "none in this process"
PASSING = {OK, NO_WORKER}

router = APIRouter(include_in_schema=False)


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


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    checks = await readiness(
        state.database, state.settings.database_schema, getattr(state, "worker_task", None)
    )
    ready = all(value in PASSING for value in checks.values())
    body = {"status": "ready" if ready else "unready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)
