"""What a path serves: the methods a 405 and an OPTIONS answer list in ``Allow``, and the
refusal (415) of request bodies that are not JSON on the API's routes."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette._utils import get_route_path
from starlette.responses import JSONResponse
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from calbridge.errors import PROBLEM_JSON, Problem

_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@lru_cache(maxsize=512)
def _pattern(path: str) -> re.Pattern[str]:
    return compile_path(path)[0]


def allowed_methods(app: Any, scope: Scope) -> list[str]:
    """Every method some route of this path serves (Starlette's own 405 names only the first
    route that matched the path), plus OPTIONS, which is always answered."""
    methods = {"OPTIONS"}
    path = get_route_path(scope)
    for context in iter_route_contexts(app.routes):
        if context.methods and context.path and _pattern(context.path).match(path):
            methods |= set(context.methods)
    return sorted(methods, key=lambda m: _ORDER.index(m) if m in _ORDER else len(_ORDER))


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    main, _, sub = media_type.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


class JsonBodiesOnly:
    """On the API's routes, a request body that is not declared ``application/json`` (or a
    ``+json`` type) is a 415 before anything reads it."""

    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            headers = dict(scope.get("headers", []))
            length = headers.get(b"content-length", b"0")
            has_body = length not in {b"", b"0"} or b"transfer-encoding" in headers
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            if has_body and not _is_json(content_type):
                problem = Problem(
                    title="Unsupported Media Type",
                    status=415,
                    code="unsupported_media_type",
                    detail="The request body must be JSON, sent as Content-Type: application/json.",
                )
                response = JSONResponse(
                    problem.model_dump(exclude_none=True), status_code=415, media_type=PROBLEM_JSON
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
