"""The emulator as one ASGI app, and `GoogleEmulator`, the handle tests hold.

    emulator = GoogleEmulator(EmulatorConfig(access_token_ttl=60))
    transport = httpx.ASGITransport(app=emulator.app)
    emulator.add_fault("rate_limit_429", count=2, path_prefix="/calendar/v3/")
    ...
    await emulator.aclose()  # stops push deliveries, closes their HTTP client

The handle's state and controls are `emulator.Emulator`'s; this module only adds the app.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from calbridge_google_emulator import (
    calendar_api,
    calendar_list,
    channels,
    consent,
    control,
    freebusy,
    oauth,
)
from calbridge_google_emulator.config import EmulatorConfig
from calbridge_google_emulator.emulator import Emulator
from calbridge_google_emulator.errors import (
    ApiError,
    OAuthError,
    api_error_response,
    handle_api_error,
    handle_oauth_error,
    not_found,
)
from calbridge_google_emulator.faults import FaultMiddleware, ResponseDropped


class GoogleEmulator(Emulator):
    """An `Emulator` with its ASGI `app` (see `Emulator` for the arguments)."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        notification_http: httpx.AsyncClient | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(config, notification_http=notification_http, **overrides)
        self.app = _build_app(self)


def create_app(config: EmulatorConfig | None = None, **overrides: Any) -> Starlette:
    """A fresh emulator's ASGI app; `emulator_of(app)` reaches its state and controls."""
    return GoogleEmulator(config, **overrides).app


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return api_error_response(ApiError(405, "httpMethodNotAllowed", "Method Not Allowed"))
    return api_error_response(not_found())


async def _server_error(request: Request, exc: Exception) -> Response:
    return api_error_response(ApiError(500, "backendError", "Backend Error"))


class _HideDroppedResponses(logging.Filter):
    """Uvicorn logs every exception escaping the app; a dropped response is on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ResponseDropped))


_uvicorn_filter = _HideDroppedResponses()


def _build_app(emulator: Emulator) -> Starlette:
    logging.getLogger("uvicorn.error").addFilter(_uvicorn_filter)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await emulator.aclose()

    app = Starlette(
        lifespan=lifespan,
        routes=[
            *consent.routes,
            *oauth.routes,
            *calendar_list.routes,
            *calendar_api.routes,
            *freebusy.routes,
            *channels.routes,
            *control.routes,
        ],
        middleware=[Middleware(FaultMiddleware, registry=emulator.faults)],
        exception_handlers={
            ApiError: handle_api_error,
            OAuthError: handle_oauth_error,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.emulator = emulator  # read back by web.emulator_of
    return app
