"""The ASGI application: the API, its error handling, and (optionally) the in-process worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.middleware.cors import CORSMiddleware

from calbridge import __version__, openapi
from calbridge.admin.web import mount_admin
from calbridge.api import workspace_api
from calbridge.db import Database
from calbridge.google.endpoints import router as google_router
from calbridge.google.notifications import router as google_notifications_router
from calbridge.http import BodySizeLimit, JsonBodiesOnly, install_error_handlers
from calbridge.idempotency.middleware import IdempotencyMiddleware
from calbridge.ops.endpoints import router as ops_router
from calbridge.ops.logs import REQUEST_ID_HEADER, valid_request_id
from calbridge.ops.metrics import Metrics, MetricsMiddleware
from calbridge.outbox.registry import JobRegistry
from calbridge.services import Services
from calbridge.settings import Settings

CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
]
CORS_RESPONSE_HEADERS = ["ETag", "Location", "Idempotent-Replayed", "Retry-After"]


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    services: Services | None = None,
    jobs: JobRegistry | None = None,
    run_worker: bool = False,
) -> FastAPI:
    """Build the app and its one ``Services`` (from ``settings``, or ``services`` as given).
    ``database`` lets tests share an engine; ``run_worker`` starts the outbox worker inside this
    process (the embedded SQLite default), with ``jobs`` (default: ``calbridge.jobs``)."""
    owns_database = database is None and services is None
    if services is None:
        if settings is None:
            raise TypeError("create_app needs settings or services")
        services = Services.build(settings, database=database)
    settings, db = services.settings, services.database

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker_task = None
        if run_worker:
            from calbridge import jobs as all_jobs
            from calbridge.outbox.worker import Worker

            # The in-process worker's jobs run with this app's context: its settings, its key
            # ring, its gateway.
            worker = Worker(services, jobs or all_jobs.registry(), metrics=metrics)
            worker_task = worker.start()
            app.state.worker, app.state.worker_task = worker, worker_task  # /readyz watches it
        try:
            yield
        finally:
            # Unless it died (then /readyz has been saying so).
            if worker_task is not None and not worker_task.done():
                await worker.stop()
            await services.google.aclose()
            if owns_database:
                await db.dispose()

    # The docs pages load Swagger UI and ReDoc from calbridge itself, not from a CDN.
    app = FastAPIOffline(
        generate_unique_id_function=openapi.operation_id,
        swagger_ui_parameters={"persistAuthorization": True},
        title="calbridge",
        version=__version__,
        description="Calendars, bookings, Google Calendar sync and event rules.",
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.database = db
    app.state.metrics = metrics = Metrics()
    app.state.settings = settings
    install_error_handlers(app)
    openapi.install(app)
    app.include_router(workspace_api)
    app.include_router(google_router)
    app.include_router(google_notifications_router)
    app.include_router(ops_router)

    mount_admin(app, settings)

    # Added last = outermost: the size limit wraps the idempotency layer that buffers bodies,
    # and a body that is not JSON is refused (415) before either reads it.
    app.add_middleware(IdempotencyMiddleware, database=db, settings=settings)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(JsonBodiesOnly)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_RESPONSE_HEADERS,
            max_age=600,
        )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    # Outermost, so that every log line of the request (and its jobs') carries its id.
    app.add_middleware(
        CorrelationIdMiddleware, header_name=REQUEST_ID_HEADER, validator=valid_request_id
    )
    return app
