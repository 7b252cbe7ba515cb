"""Prometheus metrics (CONTRACT §6), one registry per app so that two apps in a process (tests)
never share counts.

Counting code anywhere (the Google gateway, webhook deliveries) reaches the registry through a
context variable, set for each request by ``MetricsMiddleware`` and by the worker for each job:
an in-process worker is given its app's ``Metrics``, so its counts show on that app's /metrics.
Code running with none set (a CLI command, a standalone worker) counts nothing.
"""

from __future__ import annotations

import time
from contextvars import ContextVar, Token

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calbridge.statuses import JobStatus

UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
JOB_STATUSES = tuple(JobStatus)


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.http_requests = Counter(
            "calbridge_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.http_duration = Histogram(
            "calbridge_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["route"],
            registry=registry,
        )
        self.outbox_jobs = Gauge(
            "calbridge_outbox_jobs",
            "Outbox jobs by kind and status (read from the database at scrape time).",
            ["kind", "status"],
            registry=registry,
        )
        self.outbox_oldest_due = Gauge(
            "calbridge_outbox_oldest_due_seconds",
            "How long the longest-waiting due job has been due (0 when none is).",
            registry=registry,
        )
        self.jobs_finished = Counter(
            "calbridge_jobs_finished",
            "Outbox job runs that ended, by kind and outcome "
            "(done, retry, failed, deferred, lease_lost, released).",
            ["kind", "outcome"],
            registry=registry,
        )
        self.google_requests = Counter(
            "calbridge_google_requests",
            "HTTP requests to Google, by operation and outcome (ok, or the kind of error).",
            ["operation", "outcome"],
            registry=registry,
        )
        self.webhook_deliveries = Counter(
            "calbridge_webhook_deliveries",
            "Webhook delivery attempts by outcome (succeeded, failed, gone).",
            ["outcome"],
            registry=registry,
        )

    def set_outbox(self, counts: dict[tuple[str, str], int], oldest_due_seconds: float) -> None:
        """Replace the outbox gauges; every status of a kind seen is reported, zeros too."""
        self.outbox_jobs.clear()
        for kind in {kind for kind, _ in counts}:
            for status in JOB_STATUSES:
                self.outbox_jobs.labels(kind, status).set(counts.get((kind, status), 0))
        self.outbox_oldest_due.set(max(oldest_due_seconds, 0.0))


_current: ContextVar[Metrics | None] = ContextVar("calbridge_metrics", default=None)


def use(metrics: Metrics | None) -> Token[Metrics | None]:
    return _current.set(metrics)


def stop_using(token: Token[Metrics | None]) -> None:
    _current.reset(token)


def count_google(operation: str, outcome: str) -> None:
    metrics = _current.get()
    if metrics is not None:
        metrics.google_requests.labels(operation, outcome).inc()


def count_webhook(outcome: str) -> None:
    metrics = _current.get()
    if metrics is not None:
        metrics.webhook_deliveries.labels(outcome).inc()


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/api/v2/w/{workspace_uuid}/calendars``), never the
    raw path, so ids do not make a series each.

    FastAPI hands nested routers' routes over without their prefix, so the template is rebuilt
    from the path: each path parameter's segment, in the template's order (the order of
    ``path_params``), becomes ``{name}``."""
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    params = [(name, str(value)) for name, value in scope.get("path_params", {}).items()]
    segments = str(scope.get("path", "")).split("/")
    for index, segment in enumerate(segments):
        if params and segment == params[0][1]:
            segments[index] = "{" + params.pop(0)[0] + "}"
    if params:  # a value spanning segments: the route's own template, never the raw path
        return str(getattr(route, "path", UNMATCHED))
    return "/".join(segments)


class MetricsMiddleware:
    """Counts and times every HTTP request, and makes ``metrics`` current while it runs."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception answered outside us

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        token = use(self.metrics)
        try:
            await self.app(scope, receive, record_status)
        finally:
            stop_using(token)
            route = route_template(scope)
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.metrics.http_requests.labels(method, route, str(status)).inc()
            self.metrics.http_duration.labels(route).observe(time.perf_counter() - started)
