"""The OpenAPI document, with what the route signatures cannot say: every POST of the API takes
an ``Idempotency-Key`` header (handled by middleware, so no route declares it)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes the POST safe to retry: the same key with the same body within 24 h replays the "
        "first response (header Idempotent-Replayed: true); with another body → 422 "
        "idempotency_key_reused; while the first is still running → 409 idempotency_in_progress."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for path, operations in schema.get("paths", {}).items():
                post = operations.get("post")
                if post is not None and path.startswith("/api/"):
                    post.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
