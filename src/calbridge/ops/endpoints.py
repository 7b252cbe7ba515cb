"""``/healthz`` (the process serves), ``/readyz`` (it can do its work) and ``/metrics``
(Prometheus text). None is part of the Workspace API, so none is in its OpenAPI document."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.routing import Route

from calbridge.db import Database, utcnow
from calbridge.errors import Unauthenticated
from calbridge.http import problem_response
from calbridge.ops.health import PASSING, readiness
from calbridge.ops.metrics import Metrics
from calbridge.outbox import repository as outbox_repository
from calbridge.settings import Settings

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request, response: Response) -> dict[str, object]:
    state = request.app.state
    checks = await readiness(
        state.database, state.settings.database_schema, getattr(state, "worker_task", None)
    )
    ready = all(value in PASSING for value in checks.values())
    response.status_code = 200 if ready else 503
    return {"status": "ready" if ready else "unready", "checks": checks}


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    state = request.app.state
    return await metrics_response(request, state.metrics, state.database, state.settings)


async def metrics_response(
    request: Request, registry: Metrics, database: Database, settings: Settings
) -> Response:
    """The Prometheus text of ``registry``, its outbox gauges read now; a 401 problem when
    ``CALBRIDGE_METRICS_TOKEN`` is set and the request lacks its bearer."""
    token = settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if not secrets.compare_digest(given.encode(), f"Bearer {token}".encode()):
            refusal = Unauthenticated("/metrics needs the bearer token of CALBRIDGE_METRICS_TOKEN.")
            return problem_response(refusal.problem(), refusal.headers)
    await _read_outbox(registry, database)
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)


def scrape_app(registry: Metrics, database: Database, settings: Settings) -> Starlette:
    """``/metrics`` alone, for a process that serves nothing else (``calbridge worker``)."""

    async def scrape(request: Request) -> Response:
        return await metrics_response(request, registry, database, settings)

    return Starlette(routes=[Route("/metrics", scrape)])


async def _read_outbox(registry: Metrics, database: Database) -> None:
    now = utcnow()
    async with database.session(write=False) as session:
        counts = await outbox_repository.count_by_kind_and_status(session)
        oldest = await outbox_repository.oldest_due_at(session, now=now)
    registry.set_outbox(counts, 0.0 if oldest is None else (now - oldest).total_seconds())
